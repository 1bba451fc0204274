// attach-many parks N goroutines (default 100000) a few calls deep on
// channel receives, mutexes and a WaitGroup, prints "ready N", and waits:
// the load for measuring how long `gostuck attach` reads a big process.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func park(ch chan int, kind int, ready *sync.WaitGroup, wg *sync.WaitGroup) {
	ready.Done()
	switch kind {
	case 0:
		<-ch
	case 1:
		mu.Lock()
		mu.Unlock()
	default:
		wg.Wait()
	}
}

func worker(depth int, ch chan int, kind int, ready *sync.WaitGroup, wg *sync.WaitGroup) {
	if depth > 0 {
		worker(depth-1, ch, kind, ready, wg)
		return
	}
	park(ch, kind, ready, wg)
}

func main() {
	n := flag.Int("n", 100000, "goroutines to park")
	flag.Parse()
	mu.Lock() // held forever: the kind-1 goroutines queue on it
	ch := make(chan int)
	var ready, wg sync.WaitGroup
	wg.Add(1)
	ready.Add(*n)
	for i := 0; i < *n; i++ {
		go worker(i%4, ch, i%3, &ready, &wg)
	}
	ready.Wait()
	fmt.Fprintf(os.Stdout, "ready %d\n", *n)
	// A sleeping loop keeps the runtime from declaring a deadlock.
	for {
		time.Sleep(time.Second)
	}
}
