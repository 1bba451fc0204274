// recursive-lock: a method holds c.mu and calls a helper that locks c.mu
// again. sync.Mutex is not reentrant, so the goroutine deadlocks on itself.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *Counter) Incr(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[k]++
	c.report(k) // called with c.mu held
}

func (c *Counter) report(k string) {
	c.mu.Lock() // BLOCKS: Incr (the caller) already holds c.mu
	defer c.mu.Unlock()
	fmt.Println(k, "=", c.counts[k])
}

func main() {
	c := &Counter{counts: map[string]int{}}
	done := make(chan struct{})
	go func() {
		c.Incr("requests")
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	<-done // BLOCKS: waits for the self-deadlocked worker
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
