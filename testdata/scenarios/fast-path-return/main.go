// fast-path-return: Get read-locks the cache on a fast path that returns, and
// otherwise takes the write lock. The refiller holds the write lock while it
// ranges over a channel nobody closes, so Get waits for it. The read lock of
// the fast path was never taken on Get's path: this is not an RWMutex upgrade.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Cache struct {
	mu     sync.RWMutex
	fast   bool
	m      map[string]int
	refill chan int
}

func (c *Cache) Get(k string) int {
	if c.fast {
		c.mu.RLock()
		defer c.mu.RUnlock()
		return c.m[k]
	}
	c.mu.Lock() // BLOCKS: the refiller holds c.mu
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *Cache) refillLoop(locked chan<- struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(locked)
	for v := range c.refill { // BLOCKS: nobody sends on or closes c.refill
		c.m[strconv.Itoa(v)] = v
	}
}

func main() {
	c := &Cache{m: map[string]int{}, refill: make(chan int)}
	locked := make(chan struct{})
	go c.refillLoop(locked)
	<-locked
	done := make(chan struct{})
	go func() {
		fmt.Println(c.Get("x"))
		close(done)
	}()
	recordNumGoroutine()
	<-done // BLOCKS: waits for Get
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
