// queued-writer-cycle: a cycle that runs through a reader queued behind a
// pending writer. Refresh holds the index lock and read-locks the cache;
// Evict waits to write-lock the cache, which Lookup has read-locked; Lookup,
// holding that read lock, waits for the index lock. Refresh does not wait for
// Lookup directly: a pending Lock blocks new RLocks, so it waits behind Evict,
// which waits for Lookup, which waits for Refresh.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Cache struct {
	mu    sync.RWMutex
	items map[string]int
}

type Index struct {
	mu   sync.Mutex
	keys []string
}

var (
	cache = &Cache{items: map[string]int{}}
	index = &Index{}
)

func Lookup(k string, ready chan<- struct{}) int {
	cache.mu.RLock()
	defer cache.mu.RUnlock()
	ready <- struct{}{}
	time.Sleep(100 * time.Millisecond) // the others get in position
	index.mu.Lock() // BLOCKS: Refresh holds index.mu
	defer index.mu.Unlock()
	return cache.items[k]
}

func Evict(k string) {
	cache.mu.Lock() // BLOCKS: Lookup holds the read lock
	delete(cache.items, k)
	cache.mu.Unlock()
}

func Refresh() {
	index.mu.Lock()
	defer index.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // Evict is queued by now
	cache.mu.RLock() // BLOCKS: behind the pending Lock of Evict
	index.keys = index.keys[:0]
	for k := range cache.items {
		index.keys = append(index.keys, k)
	}
	cache.mu.RUnlock()
}

func main() {
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); Lookup("a", ready) }()
	<-ready
	go func() { defer wg.Done(); Evict("a") }()
	time.Sleep(20 * time.Millisecond) // Evict is queued
	go func() { defer wg.Done(); Refresh() }()
	recordNumGoroutine()
	wg.Wait() // BLOCKS
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
