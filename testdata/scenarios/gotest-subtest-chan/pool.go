// Package pool maps a function over items with a fixed number of workers.
// A worker that gets an error returns without reporting anything, so Map,
// which waits for one result per item, waits forever. Under `go test` the
// subtest that feeds Map a failing item hangs until -timeout, while its
// parent test waits for it in t.Run.
package pool

import "sync"

type result struct {
	index int
	value int
	err   error
}

// Map applies f to every item using n workers and returns the results in
// order, or the first error.
func Map(items []int, n int, f func(int) (int, error)) ([]int, error) {
	jobs := make(chan int)
	results := make(chan result, len(items))
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				v, err := f(items[i])
				if err != nil {
					return // BUG: the error is never reported; Map waits for this result
				}
				results <- result{index: i, value: v}
			}
		}()
	}
	go func() {
		for i := range items {
			jobs <- i
		}
		close(jobs)
	}()
	out := make([]int, len(items))
	for range items {
		r := <-results // BLOCKS: one result never comes
		if r.err != nil {
			return nil, r.err
		}
		out[r.index] = r.value
	}
	wg.Wait()
	return out, nil
}
