// helper-methods: the operations that would wake the blocked goroutines sit
// behind small methods: a receive in a helper called from a loop, a channel
// returned by a getter, and a WaitGroup Done in a deferred helper.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Manager struct {
	mu      sync.Mutex
	updates chan int
	stopper chan struct{}
	workers sync.WaitGroup
}

func (m *Manager) ShouldStop() <-chan struct{} {
	if m == nil {
		return nil
	}
	return m.stopper
}

func (m *Manager) stopped() { m.workers.Done() }

func (m *Manager) syncOnce() {
	<-m.updates
	m.remove()
}

func (m *Manager) remove() {
	m.mu.Lock() // BLOCKS: main holds mu while it sends the next update
	defer m.mu.Unlock()
}

func main() {
	m := &Manager{updates: make(chan int), stopper: make(chan struct{})}
	m.workers.Add(1)
	go func() { // the syncer
		defer m.stopped()
		for i := 0; i < 2; i++ {
			m.syncOnce()
		}
	}()
	go func() {
		<-m.ShouldStop() // BLOCKS: main closes the stopper after its sends
	}()
	go func() {
		m.workers.Wait() // BLOCKS: the syncer never finishes
	}()
	m.mu.Lock()
	m.updates <- 1
	recordNumGoroutine()
	m.updates <- 2 // BLOCKS: the syncer waits for mu before it receives again
	m.mu.Unlock()
	close(m.stopper)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
