// cond-signal-first: a sync.Cond is signalled before anybody waits on it, and
// the waiter calls Wait without a loop re-checking the condition. The signal
// is lost and Wait never returns.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Gate struct {
	mu    sync.Mutex
	cond  *sync.Cond
	ready bool
}

func (g *Gate) Open() {
	g.mu.Lock()
	g.ready = true
	g.cond.Signal() // nobody is waiting yet: this wake-up is lost
	g.mu.Unlock()
}

func (g *Gate) AwaitOpen() {
	g.mu.Lock()
	// BUG: should be "for !g.ready { g.cond.Wait() }"
	g.cond.Wait() // BLOCKS: the Signal already happened
	g.mu.Unlock()
}

func main() {
	g := &Gate{}
	g.cond = sync.NewCond(&g.mu)

	opened := make(chan struct{})
	go func() {
		g.Open()
		close(opened)
	}()
	<-opened // Signal definitely happens before Wait

	done := make(chan struct{})
	go func() {
		g.AwaitOpen()
		close(done)
	}()
	recordNumGoroutine()
	<-done // BLOCKS: waits for the waiter
	fmt.Println("not reached")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
