package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A separate file, registered from init, so that the lines of main.go (which
// the captured traces of the other modes point into) stay where they are.
func init() { modes["dumped"] = dumped }

// dumped: a partial deadlock recorded in a trace, then a goroutine dump of
// the same process taken right after trace.Stop (written to OUT.dump.txt
// for OUT.trace), so gostuck can cross-check the two. Besides the lock
// cycle, a WaitGroup waiter behind it and leaked receivers (blocked in
// both), one goroutine is blocked when the trace ends but released before
// the dump, and one blocks only after the trace stopped.
func dumped() {
	type account struct {
		mu      sync.Mutex
		balance int
	}
	x, y := &account{balance: 10}, &account{balance: 10}
	start := make(chan struct{})
	var wg sync.WaitGroup
	transfer := func(from, to *account, n int) {
		defer wg.Done()
		from.mu.Lock()
		<-start
		to.mu.Lock() // lock-order inversion: x→y and y→x
		from.balance -= n
		to.balance += n
		to.mu.Unlock()
		from.mu.Unlock()
	}
	wg.Add(2)
	go transfer(x, y, 1)
	go transfer(y, x, 2)
	time.Sleep(time.Millisecond)
	close(start)

	go func() { wg.Wait() }() // waits behind the cycle

	never := make(chan int)
	for i := 0; i < 3; i++ {
		go func() { <-never }() // leaked receivers
	}

	release := make(chan struct{})
	go func() { <-release }() // released after the trace stops

	var stopped atomic.Bool
	late := make(chan int)
	go func() { // blocks only after the trace stopped
		for !stopped.Load() {
			time.Sleep(100 * time.Microsecond)
		}
		late <- 1
	}()
	time.Sleep(5 * time.Millisecond)

	// Stop tracing here (main's trace.Stop is then a no-op), let the
	// goroutines move on, and dump them all.
	trace.Stop()
	close(release)
	stopped.Store(true)
	time.Sleep(20 * time.Millisecond)
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	name := strings.TrimSuffix(os.Args[2], ".trace") + ".dump.txt"
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
