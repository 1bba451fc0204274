// pipeline-stage-lock-healthy: healthy twin of pipeline-stage-lock-leak: an
// indexing pipeline with two stages of one type, both made in main. Each stage has a mutex its workers
// take per batch. The parse workers are slow (one holds parse.mu while it
// works, the other waits for it: both live). The index stage's flush
// unlocks on every path (defer), and its worker is slow too: one index
// worker holds index.mu while it works, the other waits: all live. By class
// (`Stage.mu`) or by object, every waiter has a live holder; no finding.
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
	defer s.mu.Unlock()
	if err := write(s.pending); err != nil {
		return err // the deferred Unlock runs
	}
	s.pending = s.pending[:0]
	return nil
}

// work takes the stage's lock for each batch.
func (s *Stage) work(batch time.Duration) {
	for {
		s.mu.Lock() // waits for the worker that holds it
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
	go index.work(time.Hour) // holds index.mu while it indexes
	time.Sleep(10 * time.Millisecond)
	go index.work(0) // waits for the indexer: live
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
