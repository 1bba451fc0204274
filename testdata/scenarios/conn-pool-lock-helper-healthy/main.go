// conn-pool-lock-helper-healthy: healthy twin of conn-pool-lock-helper-leak.
// The same pool and helper methods, but Get releases p.mu on every path (a
// deferred p.unlock()), and opening a connection is slow: it dials while
// holding p.mu, so the other workers queue in p.lock() behind a goroutine
// that is sleeping, not gone. Busy, not stuck.
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

type Conn struct{ id int }

var errExhausted = errors.New("pool exhausted")

type Pool struct {
	mu   sync.Mutex
	idle []*Conn
	open int
	max  int
}

func (p *Pool) lock()   { p.mu.Lock() }
func (p *Pool) unlock() { p.mu.Unlock() }

// dial opens a connection to the database: slow.
func dial(id int) *Conn {
	time.Sleep(40 * time.Millisecond)
	return &Conn{id: id}
}

// Get hands out an idle connection or opens a new one, up to p.max.
func (p *Pool) Get() (*Conn, error) {
	p.lock()
	defer p.unlock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return c, nil
	}
	if p.open >= p.max {
		return nil, errExhausted
	}
	p.open++
	return dial(p.open), nil // dials with p.mu held: the others queue
}

func (p *Pool) Put(c *Conn) {
	p.lock()
	p.idle = append(p.idle, c)
	p.unlock()
}

// query runs one statement on a pooled connection, then drops it now and
// then (the server closed it), so the pool keeps dialing.
func query(p *Pool, worker, n int) {
	c, err := p.Get()
	if err != nil {
		time.Sleep(5 * time.Millisecond)
		return
	}
	time.Sleep(2 * time.Millisecond) // the statement
	if n%3 == 0 {
		p.lock()
		p.open--
		p.unlock()
		return
	}
	p.Put(c)
}

func worker(p *Pool, id int) {
	for n := 0; ; n++ {
		query(p, id, n)
	}
}

func main() {
	p := &Pool{max: 2}
	for i := 0; i < 4; i++ {
		go worker(p, i)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		p.lock()
		open, idle := p.open, len(p.idle)
		p.unlock()
		fmt.Fprintf(w, "open %d idle %d\n", open, idle)
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
