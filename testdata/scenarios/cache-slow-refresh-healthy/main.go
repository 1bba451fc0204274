// cache-slow-refresh-healthy: the healthy twin of cache-refresh-early-return
// and session-sweeper-break. A catalogue cache reloads under its mutex from
// a slow backend (the load sleeps 3s with c.mu held), and a report holds a
// read lock on the session table while it formats a long export (3s); a
// sweeper's Lock is queued behind the report and new readers behind the
// sweeper. Everybody waits for a goroutine that is working and will unlock
// (the holders are in time.Sleep). Slow, not stuck.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
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

type Catalogue struct {
	mu    sync.Mutex
	items map[string]string
}

func (c *Catalogue) reload() {
	c.mu.Lock()
	defer c.mu.Unlock()
	time.Sleep(3 * time.Second) // slow backend, lock held: contention, not a deadlock
	c.items = map[string]string{"sku-1": "kettle"}
}

func (c *Catalogue) Get(sku string) string {
	c.mu.Lock() // waits for reload, which is working: healthy
	defer c.mu.Unlock()
	return c.items[sku]
}

type Sessions struct {
	mu   sync.RWMutex
	byID map[string]string
}

func (s *Sessions) export() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	time.Sleep(3 * time.Second) // formatting a large export under the read lock
}

func (s *Sessions) sweep() {
	s.mu.Lock() // waits for the export's read lock: healthy
	defer s.mu.Unlock()
	for id := range s.byID {
		delete(s.byID, id)
	}
}

func (s *Sessions) Lookup(id string) string {
	s.mu.RLock() // queued behind the sweeper's pending Lock: healthy
	defer s.mu.RUnlock()
	return s.byID[id]
}

func main() {
	c := &Catalogue{items: map[string]string{}}
	s := &Sessions{byID: map[string]string{"a": "alice"}}
	go c.reload()
	go s.export()
	time.Sleep(20 * time.Millisecond)
	go s.sweep()
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 4; i++ {
		go func(i int) {
			for {
				if i%2 == 0 {
					c.Get("sku-1")
				} else {
					s.Lookup("a")
				}
				time.Sleep(time.Millisecond)
			}
		}(i)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
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
