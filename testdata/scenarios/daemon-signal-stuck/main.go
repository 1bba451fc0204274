// daemon-signal-stuck: the stuck twin of daemon-signal-ctx. main waits for
// SIGINT/SIGTERM on a signal.Notify channel (healthy) and a metrics flusher
// runs on a ticker (healthy), but the configuration store deadlocks: Set
// notifies the applier on an unbuffered channel while still holding the
// write lock, and the applier reads the current configuration (RLock)
// before it receives the next update. Once an update arrives while the
// applier is busy, Set waits for the applier and the applier waits for
// Set's lock; the request workers that read the configuration queue behind
// them. The process stays alive and the runtime reports nothing.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type Config struct {
	Version  int
	Backends []string
}

type Store struct {
	mu      sync.RWMutex
	cur     Config
	updates chan Config
}

func (s *Store) Current() Config {
	s.mu.RLock() // BLOCKS: Set holds the write lock
	defer s.mu.RUnlock()
	return s.cur
}

// Set installs c and tells the applier about it.
func (s *Store) Set(c Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = c
	s.updates <- c // BLOCKS: BUG: notifies while holding s.mu; the applier needs s.mu first
}

func applier(s *Store) {
	for {
		old := s.Current()
		next := <-s.updates
		time.Sleep(20 * time.Millisecond) // reconfigure the connection pools
		log.Printf("config v%d -> v%d", old.Version, next.Version)
	}
}

// poll fetches the configuration from the control plane every 5ms.
func poll(s *Store) {
	for v := 1; ; v++ {
		s.Set(Config{Version: v, Backends: []string{"10.0.0.1:80", "10.0.0.2:80"}})
		time.Sleep(5 * time.Millisecond)
	}
}

var served atomic.Int64

func requestWorker(s *Store) {
	for {
		_ = s.Current().Backends
		served.Add(1)
		time.Sleep(time.Millisecond)
	}
}

func flushMetrics() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C { // waits on a ticker: healthy
		_ = served.Load()
	}
}

func main() {
	s := &Store{updates: make(chan Config)}
	go applier(s)
	go poll(s)
	for i := 0; i < 2; i++ {
		go requestWorker(s)
	}
	go flushMetrics()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()

	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
	log.Printf("shutting down on %v", <-sigCh) // waits for a signal: healthy
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
