package main

import (
	"sync"
	"testing"
	"time"
)

// TestBlocking is run with `go test -trace` by scripts/capture-traces.sh.
func TestBlocking(t *testing.T) {
	var mu sync.Mutex
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			time.Sleep(time.Millisecond)
			mu.Unlock()
			ch <- 1
		}()
	}
	for i := 0; i < 3; i++ {
		<-ch
	}
	wg.Wait()
}
