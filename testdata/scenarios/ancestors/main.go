// ancestors: nested goroutine creation (main -> acceptLoop -> handleConn ->
// query) ending in a deadlock. Run with GODEBUG=tracebackancestors=5 to get
// "[originating from goroutine N]:" sections showing where each goroutine's
// creators were when they created it.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var never = make(chan int) // nobody ever sends

func query(id int) int {
	return <-never // BLOCKS: the backend reply never arrives
}

func handleConn(id int) {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(q int) {
			defer wg.Done()
			query(id*10 + q)
		}(i)
	}
	wg.Wait() // BLOCKS: queries never finish
}

func acceptLoop(done chan<- struct{}) {
	go handleConn(1)
	go handleConn(2)
	// acceptLoop returns: its goroutine exits, but it still appears as an
	// ancestor of the handlers.
}

func main() {
	done := make(chan struct{})
	go acceptLoop(done)
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	<-done // BLOCKS: nobody closes done
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
