// mutex-across-channel: goroutine A holds mu while sending on an unbuffered
// channel; goroutine B must take mu before it receives from that channel.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Pipeline struct {
	mu    sync.Mutex
	state int
	ch    chan int
}

// produce is goroutine A.
func (p *Pipeline) produce(aHasLock chan<- struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state++
	close(aHasLock)
	p.ch <- p.state // BLOCKS: holding p.mu; the receiver (B) waits for p.mu
}

// consume is goroutine B.
func (p *Pipeline) consume(aHasLock <-chan struct{}) {
	<-aHasLock
	p.mu.Lock() // BLOCKS: A holds p.mu until its send completes
	seen := p.state
	p.mu.Unlock()
	v := <-p.ch
	fmt.Println("got", v, seen)
}

func main() {
	p := &Pipeline{ch: make(chan int)}
	aHasLock := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.produce(aHasLock) }()
	go func() { defer wg.Done(); p.consume(aHasLock) }()
	<-aHasLock
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for A and B
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
