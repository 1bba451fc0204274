// sigquit: a stuck pipeline that the runtime cannot recognise as stuck,
// because a heartbeat goroutine with a time.Ticker keeps the scheduler busy.
// The dump is obtained by sending SIGQUIT to the built binary (see
// scripts/capture.sh), with various GOTRACEBACK settings.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Job struct{ ID int }

type Stage struct {
	mu   sync.Mutex
	in   chan Job
	out  chan string
	seen int
}

func (s *Stage) run() {
	for job := range s.in { // BLOCKS: nobody ever sends a job or closes s.in
		s.out <- fmt.Sprint("done ", job.ID)
	}
	close(s.out)
}

func (s *Stage) Stats() int {
	s.mu.Lock() // BLOCKS: main holds s.mu while waiting for a result
	defer s.mu.Unlock()
	return s.seen
}

func heartbeat() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	beats := 0
	for range t.C { // keeps the process "alive": no deadlock detection
		beats++
	}
}

func main() {
	s := &Stage{in: make(chan Job), out: make(chan string)}
	go heartbeat()
	go s.run()

	s.mu.Lock()
	go func() { fmt.Println("stats", s.Stats()) }()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Println("waiting for first result")
	r := <-s.out // BLOCKS: run() never produces anything
	s.mu.Unlock()
	fmt.Println(r)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
