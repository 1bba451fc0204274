// pool-grow-healthy: healthy twin of pool-grow-results-gone. Grow starts the
// workers with `go p.work(id, p.jobs)` while it holds p.mu (Go 1.21 names the
// statement's wrapper (*Pool).Grow.func1: it holds nothing); a collector
// takes every result, a feeder sends a job per tick, a monitor polls the
// size, and main waits for SIGINT.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type Pool struct {
	mu      sync.Mutex
	workers int
	jobs    chan int
	results chan int
}

var sum atomic.Int64

// Grow starts n more workers; it holds p.mu while it does.
func (p *Pool) Grow(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < n; i++ {
		p.workers++
		go p.work(p.workers, p.jobs)
	}
}

func (p *Pool) work(id int, jobs <-chan int) {
	for j := range jobs { // idle workers wait here: healthy
		p.results <- j * id
	}
}

// Size reports how many workers were started.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers
}

// collect takes every result.
func collect(p *Pool) {
	for r := range p.results { // waits for the next result: healthy
		sum.Add(int64(r))
	}
}

// feed sends a job per tick.
func feed(p *Pool) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		<-t.C
		p.jobs <- i
	}
}

// monitor polls the pool size on a ticker.
func monitor(p *Pool) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		_ = p.Size()
	}
}

func main() {
	p := &Pool{jobs: make(chan int, 16), results: make(chan int)}
	p.Grow(4)
	go collect(p)
	go feed(p)
	go monitor(p)
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig // waits for SIGINT: healthy
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
