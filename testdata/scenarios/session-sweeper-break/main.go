// session-sweeper-break: a session table guarded by an RWMutex. The sweeper
// write-locks the table on every tick and expires old sessions; when too
// many expire at once it stops sweeping with `break`, leaving the loop (and
// the goroutine) with the write lock still held. Lookups (RLock) and
// touches (Lock) from the request workers then wait forever for a lock no
// goroutine holds. The HTTP server stays up.
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

type Session struct {
	User    string
	Expires time.Time
}

type Table struct {
	mu       sync.RWMutex
	sessions map[string]*Session
}

func (t *Table) Lookup(id string) (*Session, bool) {
	t.mu.RLock() // BLOCKS: the sweeper left the table write-locked
	defer t.mu.RUnlock()
	s, ok := t.sessions[id]
	return s, ok
}

func (t *Table) Touch(id string, ttl time.Duration) {
	t.mu.Lock() // BLOCKS: the sweeper left the table write-locked
	defer t.mu.Unlock()
	if s, ok := t.sessions[id]; ok {
		s.Expires = time.Now().Add(ttl)
	}
}

// expire deletes expired sessions; the caller holds t.mu.
func (t *Table) expire(now time.Time) int {
	n := 0
	for id, s := range t.sessions {
		if now.After(s.Expires) {
			delete(t.sessions, id)
			n++
		}
	}
	return n
}

const maxExpiredPerSweep = 10

func (t *Table) sweeper(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for now := range tick.C {
		t.mu.Lock()
		if n := t.expire(now); n > maxExpiredPerSweep {
			log.Printf("sweeper: %d sessions expired at once, stopping: clock jump?", n)
			break // BUG: leaves the loop with t.mu write-locked
		}
		t.mu.Unlock()
	}
}

func worker(t *Table, id string, touch bool) {
	for {
		if touch {
			t.Touch(id, time.Minute)
		} else {
			t.Lookup(id)
		}
		time.Sleep(time.Millisecond)
	}
}

func main() {
	t := &Table{sessions: map[string]*Session{}}
	now := time.Now()
	for i := 0; i < 40; i++ {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = 50 * time.Millisecond // a batch created by a load test
		}
		t.sessions[fmt.Sprint("s", i)] = &Session{User: fmt.Sprint("u", i), Expires: now.Add(ttl)}
	}
	go t.sweeper(20 * time.Millisecond)
	for i := 0; i < 5; i++ {
		go worker(t, fmt.Sprint("s", 2*i+1), i < 2)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		s, ok := t.Lookup(r.URL.Query().Get("sid"))
		fmt.Fprintln(w, s, ok)
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
