// pool-grow-results-gone: Grow starts workers while it holds p.mu, with
// `go p.work(id, p.jobs)` — a call with arguments, which the compiler wraps
// (Go 1.21 names the wrapper like a literal, (*Pool).Grow.func1, at the go
// statement's line; the wrapper holds nothing). The collector takes only the
// first result and returns, so the workers block sending the next ones,
// while a monitor polls the pool size on a ticker and main waits for SIGINT.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Pool struct {
	mu      sync.Mutex
	workers int
	jobs    chan int
	results chan int
}

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
	for j := range jobs {
		p.results <- j * id // BLOCKS: the collector took one result and returned
	}
}

// Size reports how many workers were started.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers
}

// first returns the first result only.
func first(p *Pool) int {
	return <-p.results
}

// monitor polls the pool size on a ticker: healthy.
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
	for i := 0; i < 8; i++ {
		p.jobs <- i
	}
	fmt.Println("first result", first(p))
	go monitor(p)
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig // waits for SIGINT
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
