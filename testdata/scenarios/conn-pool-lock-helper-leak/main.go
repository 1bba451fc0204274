// conn-pool-lock-helper-leak: a database connection pool guards its state
// with p.mu, always taken and released through two small helper methods,
// p.lock() and p.unlock(). Get returns errExhausted when every connection
// is out — with p.mu still held: that early return skips p.unlock(). The
// next Get, Put or stats request waits in p.lock() forever. No goroutine
// holds the lock; the path that left it locked is in Get, one call away
// from the Lock itself. The HTTP stats server stays up.
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

func (p *Pool) lock()   { p.mu.Lock() } // BLOCKS: Get returned with p.mu held
func (p *Pool) unlock() { p.mu.Unlock() }

// Get hands out an idle connection or opens a new one, up to p.max.
func (p *Pool) Get() (*Conn, error) {
	p.lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.unlock()
		return c, nil
	}
	if p.open >= p.max {
		return nil, errExhausted // BUG: returns with p.mu held
	}
	p.open++
	id := p.open
	p.unlock()
	return &Conn{id: id}, nil
}

func (p *Pool) Put(c *Conn) {
	p.lock()
	p.idle = append(p.idle, c)
	p.unlock()
}

// query runs one statement on a pooled connection.
func query(p *Pool, worker int) {
	c, err := p.Get()
	if err != nil {
		log.Printf("worker %d: %v", worker, err)
		time.Sleep(5 * time.Millisecond)
		return
	}
	time.Sleep(2 * time.Millisecond) // the statement
	p.Put(c)
}

func worker(p *Pool, id int) {
	for {
		query(p, id)
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
