// getter-lock-channel: a lock and a channel reached through accessors (the
// shape of moby#28462, GoKer Moby28462). stateChanged gets the container
// from a store (`c := s.Get()`), locks it and sends on its health channel;
// the monitor, started with that channel from an accessor
// (`go monitor(c, c.health.StopChannel())`), would receive it but first
// waits for the container's lock: each waits for the other.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Health struct {
	stop chan struct{}
}

// StopChannel returns the monitor's stop channel.
func (h *Health) StopChannel() chan struct{} { return h.stop }

// Close stops the monitor.
func (h *Health) Close() {
	h.stop <- struct{}{} // BLOCKS: the monitor waits for the container's lock
}

type Container struct {
	sync.Mutex
	health *Health
}

type Store struct {
	ctr *Container
}

// Get returns the store's container.
func (s *Store) Get() *Container { return s.ctr }

func stateChanged(s *Store, wg *sync.WaitGroup) {
	defer wg.Done()
	c := s.Get()
	c.Lock()
	defer c.Unlock()
	time.Sleep(20 * time.Millisecond) // the monitor is now in probe
	c.health.Close()
}

func monitor(c *Container, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		default:
			probe(c)
		}
	}
}

func probe(c *Container) {
	runtime.Gosched()
	c.Lock() // BLOCKS: stateChanged holds the container
	defer c.Unlock()
}

func main() {
	c := &Container{health: &Health{stop: make(chan struct{})}}
	s := &Store{ctr: c}
	var wg sync.WaitGroup
	wg.Add(2)
	go monitor(c, c.health.StopChannel(), &wg)
	go stateChanged(s, &wg)
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for both
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
