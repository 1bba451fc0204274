// Package cache is a tiny cache whose refresh deadlocks: Refresh holds c.mu
// while the loader it calls reads the cache through Get, which locks c.mu
// again. In a test binary the runtime never reports this (the test timeout's
// timer keeps it alive), so `go test` just hangs until -timeout.
package cache

import "sync"

type Cache struct {
	mu   sync.Mutex
	data map[string]string
}

func New() *Cache { return &Cache{data: map[string]string{}} }

func (c *Cache) Get(k string) string {
	c.mu.Lock() // BLOCKS: Refresh already holds c.mu
	defer c.mu.Unlock()
	return c.data[k]
}

// Refresh replaces the contents with what load returns.
func (c *Cache) Refresh(load func(*Cache) map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data = load(c)
}
