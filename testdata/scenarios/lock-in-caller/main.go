// lock-in-caller: Submit locks s.mu and then calls enqueue, which blocks on
// an unbuffered channel send. The goroutine that would receive (run) first
// needs s.mu. The mutex is held by a CALLER frame (Submit), not by the frame
// that is blocked (enqueue).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Server struct {
	mu    sync.Mutex
	ticks int
	jobs  chan string
}

func (s *Server) Submit(job string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(job) // s.mu is held across this call
}

//go:noinline
func (s *Server) enqueue(job string) {
	s.jobs <- job // BLOCKS: run() cannot receive until it gets s.mu
}

func (s *Server) run() {
	for {
		time.Sleep(50 * time.Millisecond) // periodic work
		s.mu.Lock()                       // BLOCKS: Submit holds s.mu while blocked in enqueue
		s.ticks++
		s.mu.Unlock()
		job := <-s.jobs
		fmt.Println("job", job)
	}
}

func main() {
	s := &Server{jobs: make(chan string)}
	go s.run()
	recordNumGoroutine()
	s.Submit("build")
	fmt.Println("not reached")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
