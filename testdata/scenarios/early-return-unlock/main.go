// early-return-unlock: Set locks the store's mutex and returns early on a
// validation error without unlocking. No goroutine holds the lock any more
// in its stack, but every later caller blocks on Lock.
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
	mu   sync.Mutex
	data map[string]int
}

func (s *Store) Set(k string, v int) error {
	s.mu.Lock() // BLOCKS (for the later callers)
	if v < 0 {
		return fmt.Errorf("negative value %d for %q", v, k) // BUG: returns with s.mu locked
	}
	s.data[k] = v
	s.mu.Unlock()
	return nil
}

func (s *Store) Get(k string) int {
	s.mu.Lock() // BLOCKS: the lock leaked by Set is never released
	defer s.mu.Unlock()
	return s.data[k]
}

func main() {
	s := &Store{data: map[string]int{}}
	_ = s.Set("a", 1)
	if err := s.Set("b", -1); err != nil {
		fmt.Println("set failed:", err)
	}

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); fmt.Println(s.Get("a")) }()
	go func() { defer wg.Done(); _ = s.Set("c", 3) }()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	wg.Wait() // BLOCKS: both callers are stuck on s.mu
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
