// Command gen-trace writes a large Go execution trace for gostuck's trace
// benchmarks: channel ping-pong pairs and mutex workers run for a few seconds
// under runtime/trace, and a few goroutines are left blocked at the end so the
// analyses have something to report.
//
//	gen-trace -o OUT.trace [-d 30s] [-pairs 64] [-workers 4] [-size 200]
//
// It stops when the trace file reaches -size MiB or after -d, whichever comes
// first. Standard library only.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

type countingWriter struct {
	f *os.File
	n atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n.Add(int64(n))
	return n, err
}

func main() {
	out := flag.String("o", "", "output trace file")
	dur := flag.Duration("d", 30*time.Second, "maximum run time")
	pairs := flag.Int("pairs", 64, "channel ping-pong pairs")
	workers := flag.Int("workers", 4, "mutex workers")
	sizeMiB := flag.Int64("size", 200, "stop once the trace is this many MiB")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen-trace -o OUT.trace [-d 30s] [-size 200]")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := &countingWriter{f: f}
	if err := trace.Start(w); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	// Channel ping-pong: every round trip blocks and unblocks both sides.
	for i := 0; i < *pairs; i++ {
		ping, pong := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for v := range ping {
				pong <- v + 1
			}
			close(pong)
		}()
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				ping <- n
				<-pong
			}
			close(ping)
			for range pong {
			}
		}()
	}
	// Mutex workers: contended lock, short critical sections.
	var mu sync.Mutex
	shared := 0
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				mu.Lock()
				for j := 0; j < 50; j++ {
					shared++
				}
				mu.Unlock()
			}
		}()
	}

	// Leave some goroutines blocked at the end.
	var leakMu sync.Mutex
	leakMu.Lock()
	never := make(chan int)
	for i := 0; i < 4; i++ {
		go func() { <-never }()
	}
	go func() { leakMu.Lock() }()

	deadline := time.Now().Add(*dur)
	limit := *sizeMiB << 20
	for time.Now().Before(deadline) && w.n.Load() < limit {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	time.Sleep(10 * time.Millisecond)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen-trace: %d bytes, shared=%d\n", w.n.Load(), shared)
}
