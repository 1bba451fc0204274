// pipeline-stage-lock-leak: an indexing pipeline with two stages of one type,
// both made in main: parse and index. Each stage has a mutex its workers
// take per batch. The parse workers are slow (one holds parse.mu while it
// works, the other waits for it: both live). The index stage's flush
// returned early on an error with index.mu still locked, so the index
// worker waits on index.mu for ever. By class (`Stage.mu`) the index worker
// seems to wait for the busy parse worker; the objects were made at two
// different places in main, so it is not.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Stage struct {
	name    string
	mu      sync.Mutex
	pending []string
	done    int
}

var errDiskFull = errors.New("disk full")

// flush writes the pending batch out.
func (s *Stage) flush(write func([]string) error) error {
	s.mu.Lock()
	if err := write(s.pending); err != nil {
		return err // BUG: returns with s.mu held
	}
	s.pending = s.pending[:0]
	s.mu.Unlock()
	return nil
}

// work takes the stage's lock for each batch.
func (s *Stage) work(batch time.Duration) {
	for {
		s.mu.Lock() // BLOCKS (index: for ever)
		time.Sleep(batch)
		s.done++
		s.mu.Unlock()
	}
}

func main() {
	parse := &Stage{name: "parse"}
	index := &Stage{name: "index", pending: []string{"doc-1", "doc-2"}}
	if err := index.flush(func([]string) error { return errDiskFull }); err != nil {
		fmt.Fprintln(os.Stderr, "flush:", err)
	}
	go parse.work(time.Hour) // holds parse.mu while it parses
	time.Sleep(10 * time.Millisecond)
	go parse.work(0) // waits for the parser: live
	go index.work(0) // waits for index.mu: nobody holds it, nobody will unlock it
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	for {
		time.Sleep(time.Second) // the pipeline's status loop
	}
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
