// watchdog-orphaned-mutex: a metrics service whose (*Registry).Register
// returns early on a duplicate name with r.mu still locked. Twenty reporter
// goroutines then wait forever in (*Registry).Observe for a mutex that no
// goroutine holds, and main waits for the reporters. The service's own
// watchdog (watchdog.go) sees that no observation was recorded for 300ms,
// writes every goroutine's stack with runtime.Stack(buf, true) to stderr
// and exits with status 2. The watchdog's ticker keeps the runtime from
// reporting a deadlock.
package main

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"
)

// observations counts recorded samples; the watchdog reads it.
var observations atomic.Int64

type Metric struct {
	name  string
	count int64
	sum   float64
}

type Registry struct {
	mu      sync.Mutex
	metrics map[string]*Metric
}

var errDuplicate = errors.New("metric already registered")

// Register adds a metric; registering a name twice is an error.
func (r *Registry) Register(name string) (*Metric, error) {
	r.mu.Lock()
	if _, ok := r.metrics[name]; ok {
		return nil, fmt.Errorf("%w: %s", errDuplicate, name) // BUG: returns with r.mu locked
	}
	m := &Metric{name: name}
	r.metrics[name] = m
	r.mu.Unlock()
	return m, nil
}

// Observe records one sample of a registered metric.
func (r *Registry) Observe(name string, v float64) {
	r.mu.Lock() // BLOCKS: Register returned with r.mu locked
	if m := r.metrics[name]; m != nil {
		m.count++
		m.sum += v
	}
	r.mu.Unlock()
	observations.Add(1)
}

func reporter(r *Registry, id int, wg *sync.WaitGroup) {
	defer wg.Done()
	name := fmt.Sprintf("worker_%d_latency_ms", id%5)
	for i := 0; i < 100000; i++ {
		r.Observe(name, float64(i%17))
		time.Sleep(time.Millisecond)
	}
}

func main() {
	reg := &Registry{metrics: map[string]*Metric{}}
	for i := 0; i < 5; i++ {
		if _, err := reg.Register(fmt.Sprintf("worker_%d_latency_ms", i)); err != nil {
			log.Fatal(err)
		}
	}
	startWatchdog(300*time.Millisecond, &observations)

	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go reporter(reg, i, &wg)
	}

	// A plugin loaded later registers a metric that already exists.
	time.Sleep(100 * time.Millisecond)
	if _, err := reg.Register("worker_3_latency_ms"); err != nil {
		log.Printf("plugin: %v", err)
	}
	wg.Wait() // BLOCKS: the reporters never finish
}
