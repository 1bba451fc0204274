// leak-timeout: a request handler starts a worker goroutine per request with
// an UNBUFFERED result channel and gives up after a timeout. When the worker
// finishes, nobody is left to receive: it blocks on the send forever. The
// process itself is healthy and keeps running, so the runtime never reports
// a deadlock; after about one second it dumps all goroutine stacks to stdout
// and exits 0.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var errTimeout = errors.New("timeout")

func slowQuery(id int) int {
	time.Sleep(100 * time.Millisecond) // slower than the handler's patience
	return id * id
}

func handle(id int) (int, error) {
	result := make(chan int) // BUG: unbuffered; make(chan int, 1) would not leak
	go func() {
		result <- slowQuery(id) // BLOCKS forever once handle has returned
	}()
	select {
	case v := <-result:
		return v, nil
	case <-time.After(10 * time.Millisecond):
		return 0, errTimeout
	}
}

func main() {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		timeouts int
	)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			if _, err := handle(id); err != nil {
				mu.Lock()
				timeouts++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	fmt.Printf("handled 50 requests, %d timed out\n", timeouts)

	// The service keeps running (here: a ticker loop for ~1s).
	ticker := time.NewTicker(100 * time.Millisecond)
	for i := 0; i < 10; i++ {
		<-ticker.C
	}
	ticker.Stop()

	recordNumGoroutine()
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stdout.Write(buf[:n])
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
