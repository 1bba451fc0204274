// waitgroup-copies: several copies of one component, each a goroutine that
// starts two workers and waits for them on its own WaitGroup. In the healthy
// copies the workers sleep (they will finish); in one copy they wait on a
// channel nobody sends on. All the waiters share one stack, so by class they
// wait for the stuck workers and the sleeping ones alike; each waits, though,
// only for the workers it started (`created by … in goroutine N`): the stuck
// copy's waiter is blocked behind the stuck workers, the others are not.
//
// The program writes every goroutine's stack (runtime.Stack) to stdout and
// exits.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func instance(stuck bool) {
	var wg sync.WaitGroup
	results := make(chan int)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if stuck {
				<-results // BLOCKS: nobody sends on results
				return
			}
			time.Sleep(time.Hour)
		}()
	}
	wg.Wait() // BLOCKS (the stuck copy: forever)
}

func main() {
	for i := 0; i < 3; i++ {
		go instance(false)
	}
	go instance(true)
	time.Sleep(100 * time.Millisecond)
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
