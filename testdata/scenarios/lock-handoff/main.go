// lock-handoff: two deadlocks whose held locks are not written in the
// blocked frames. A registry's acquire locks a per-key mutex and returns with
// it held; its release needs the registry's read lock, which a second acquire
// holds while it waits for that key. And a Cond made over an RWMutex's
// RLocker(): locking its L read-locks the RWMutex, so a later RLock by the
// same goroutine waits behind a queued writer.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Registry struct {
	sync.RWMutex
	keys map[string]*sync.Mutex
}

// acquire returns with r.keys[k] locked: release unlocks it.
func (r *Registry) acquire(k string) {
	r.Lock()
	if r.keys[k] == nil {
		r.keys[k] = &sync.Mutex{}
	}
	r.keys[k].Lock() // BLOCKS (second caller): holding r, waits for the key
	r.Unlock()
}

func (r *Registry) release(k string) {
	r.RLock() // BLOCKS: the second acquire holds r
	defer r.RUnlock()
	r.keys[k].Unlock()
}

func use(r *Registry, k string) {
	r.acquire(k)
	defer r.release(k)
	time.Sleep(200 * time.Millisecond)
}

type Cache struct {
	mu   sync.RWMutex
	cond *sync.Cond
}

func (c *Cache) read() {
	c.mu.RLock() // BLOCKS: a writer is queued behind the read lock held via cond.L
	defer c.mu.RUnlock()
}

func (c *Cache) update() {
	c.mu.Lock() // BLOCKS: main read-holds mu through cond.L
	defer c.mu.Unlock()
}

func main() {
	r := &Registry{keys: map[string]*sync.Mutex{}}
	go use(r, "a")
	time.Sleep(50 * time.Millisecond)
	go use(r, "a")

	c := &Cache{}
	c.cond = sync.NewCond(c.mu.RLocker())
	c.cond.L.Lock()
	go c.update()
	time.Sleep(400 * time.Millisecond)
	recordNumGoroutine()
	c.read()
	c.cond.L.Unlock()
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
