// continue-skips-unlock: a retry loop takes the lock at the top of each pass
// and `continue`s on an error without unlocking, so the next pass locks a
// mutex the goroutine already holds (GoKer Moby7559).
package main

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Proxy struct {
	connTrackLock sync.Mutex
	conns         int
}

func dial(attempt int) error {
	if attempt == 0 {
		return errors.New("connection refused")
	}
	return nil
}

func (p *Proxy) Run() {
	for i := 0; i < 3; i++ {
		p.connTrackLock.Lock() // BLOCKS on the second pass: still held from the first
		if err := dial(i); err != nil {
			continue // BUG: skips the Unlock below
		}
		p.conns++
		p.connTrackLock.Unlock()
	}
}

func main() {
	p := &Proxy{}
	done := make(chan struct{})
	go func() {
		p.Run()
		close(done)
	}()
	recordNumGoroutine()
	<-done // BLOCKS: Run never returns
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
