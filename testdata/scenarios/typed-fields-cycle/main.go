// typed-fields-cycle: two structs each with a field named mu; one goroutine
// locks Table.mu then Cache.mu, the other Cache.mu then Table.mu (AB-BA).
// Field names alone would also suggest a recursive lock (both frames lock a
// `mu`); the struct types tell the locks apart (GoKer Cockroach7504).
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Cache struct {
	mu    sync.Mutex
	table *Table
}

type Table struct {
	mu    sync.Mutex
	cache *Cache
}

var both sync.WaitGroup

func (t *Table) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	both.Done()
	both.Wait()
	t.cache.remove()
}

func (c *Cache) remove() {
	c.mu.Lock() // BLOCKS: held by refresh, which wants t.mu
	defer c.mu.Unlock()
}

func (c *Cache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	both.Done()
	both.Wait()
	c.table.touch()
}

func (t *Table) touch() {
	t.mu.Lock() // BLOCKS: held by release, which wants c.mu
	defer t.mu.Unlock()
}

func main() {
	c := &Cache{}
	t := &Table{cache: c}
	c.table = t
	both.Add(2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.release() }()
	go func() { defer wg.Done(); c.refresh() }()
	both.Wait()
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for the two deadlocked goroutines
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
