// leaked-rlock: Peek returns early without RUnlock, so the read lock is never
// released. The writer waits for it, and a later reader waits behind the
// queued writer (a pending Lock blocks new RLocks).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Store struct {
	mu sync.RWMutex
	n  int
}

func (s *Store) Peek() int {
	s.mu.RLock()
	if s.n == 0 {
		return 0 // BUG: returns with the read lock held
	}
	n := s.n
	s.mu.RUnlock()
	return n
}

func (s *Store) Put(v int) {
	s.mu.Lock() // BLOCKS: the read lock leaked
	s.n = v
	s.mu.Unlock()
}

func (s *Store) Get() int {
	s.mu.RLock() // BLOCKS: behind the queued writer
	defer s.mu.RUnlock()
	return s.n
}

func main() {
	s := &Store{}
	s.Peek()
	go s.Put(1)
	time.Sleep(50 * time.Millisecond) // the writer is queued by now
	done := make(chan int)
	go func() { done <- s.Get() }()
	recordNumGoroutine()
	fmt.Println(<-done) // BLOCKS: waits for the reader
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
