// rwmutex-upgrade: a method holds the read lock of a sync.RWMutex and then
// tries to take the write lock of the same RWMutex ("upgrade"). Lock waits
// for all readers to leave, including itself, forever. A later reader then
// queues behind the pending writer.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Cache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *Cache) Get(k string) (string, bool) {
	c.mu.RLock() // BLOCKS (victim): a writer is pending, new readers must wait
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *Cache) GetOrLoad(k string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	c.mu.Lock() // BLOCKS: still holding c.mu.RLock from above
	defer c.mu.Unlock()
	c.m[k] = "loaded:" + k
	return c.m[k]
}

func main() {
	c := &Cache{m: map[string]string{}}
	done := make(chan string)
	go func() {
		done <- c.GetOrLoad("config")
	}()
	time.Sleep(100 * time.Millisecond) // let GetOrLoad reach the upgrade
	recordNumGoroutine()
	v, ok := c.Get("config")
	fmt.Println("not reached", v, ok, <-done)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
