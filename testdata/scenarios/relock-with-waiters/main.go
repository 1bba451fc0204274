// relock-with-waiters: the second GracefulStop locks s.mu again while holding
// it (a recursive lock, grpc#795, GoKer Grpc795), and Serve then waits for the
// same s.mu. Serve waits on the very lock the stopper is blocked on: the
// stopper holds it all the same, so Serve is blocked behind the recursive lock.
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
	drain bool
}

func (s *Server) GracefulStop() {
	s.mu.Lock()
	if s.drain {
		s.mu.Lock() // BLOCKS: this goroutine already holds s.mu
		return
	}
	s.drain = true
	s.mu.Unlock()
}

func (s *Server) Serve() {
	s.mu.Lock() // BLOCKS: the stopper holds s.mu forever
	s.mu.Unlock()
}

func main() {
	s := &Server{}
	second := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(second)
		s.GracefulStop() // idempotent, supposedly
	}()
	<-second
	time.Sleep(50 * time.Millisecond) // the second GracefulStop is stuck by now
	served := make(chan struct{})
	go func() {
		s.Serve()
		close(served)
	}()
	recordNumGoroutine()
	<-served // BLOCKS: waits for Serve
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
