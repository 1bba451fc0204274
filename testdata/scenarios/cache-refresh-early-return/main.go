// cache-refresh-early-return: a price cache refreshed from a backend every
// 20ms. refresh locks c.mu, loads, and on a load error returns the error
// with c.mu still locked. The call returned long ago and no goroutine holds
// the lock, but every reader (six request workers in Get) and the refresher
// itself (on its next tick) wait for it forever. The HTTP server stays up.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Cache struct {
	mu     sync.Mutex
	prices map[string]int
	loads  int
}

var errBackend = errors.New("backend: connection reset by peer")

// load fetches all prices; the third load fails.
func (c *Cache) load() (map[string]int, error) {
	c.loads++
	if c.loads == 3 {
		return nil, errBackend
	}
	return map[string]int{"apple": 120 + c.loads, "pear": 95}, nil
}

func (c *Cache) refresh() error {
	c.mu.Lock() // BLOCKS: the refresher's own earlier call left c.mu locked
	fresh, err := c.load()
	if err != nil {
		return fmt.Errorf("refresh: %w", err) // BUG: returns with c.mu locked
	}
	c.prices = fresh
	c.mu.Unlock()
	return nil
}

func (c *Cache) Get(item string) (int, bool) {
	c.mu.Lock() // BLOCKS: refresh returned with c.mu locked
	defer c.mu.Unlock()
	p, ok := c.prices[item]
	return p, ok
}

func refresher(c *Cache) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if err := c.refresh(); err != nil {
			log.Print(err)
		}
	}
}

func requestWorker(c *Cache, item string) {
	for {
		c.Get(item)
		time.Sleep(time.Millisecond)
	}
}

func main() {
	c := &Cache{}
	if err := c.refresh(); err != nil {
		log.Fatal(err)
	}
	go refresher(c)
	for i := 0; i < 6; i++ {
		go requestWorker(c, []string{"apple", "pear"}[i%2])
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/price", func(w http.ResponseWriter, r *http.Request) {
		p, ok := c.Get(r.URL.Query().Get("item"))
		fmt.Fprintln(w, p, ok)
	})
	log.Fatal(http.Serve(ln, nil))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
