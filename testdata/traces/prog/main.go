// Command traceprog produces small Go execution traces for gostuck-trace's
// differential tests. Usage:
//
//	traceprog MODE OUT.trace
//
// Each mode exercises a different part of the trace format; see modes below.
// It uses only the standard library (plus cgo for the "cgo" mode).
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

var modes = map[string]func(){
	"mixed":      mixed,
	"gens":       gens,
	"cpu":        cpu,
	"procs":      procs,
	"syscall":    syscalls,
	"coro":       coro,
	"cgo":        cgo,
	"allocfree":  allocfree,
	"deadlocked": deadlocked,
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: traceprog MODE OUT.trace")
		os.Exit(2)
	}
	run, ok := modes[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
	f, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Args[1] == "cpu" {
		if err := pprof.StartCPUProfile(discard{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	run()
	trace.Stop()
	if os.Args[1] == "cpu" {
		pprof.StopCPUProfile()
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Leaked goroutines: they block forever and are still blocked when the trace
// stops, so the analyses have something to report.
var (
	leakCh  = make(chan int)
	leakMu  sync.Mutex
	leakWG  sync.WaitGroup
	leakSel = make(chan struct{})
)

func leak() {
	leakMu.Lock() // never unlocked
	for i := 0; i < 3; i++ {
		go func() { <-leakCh }() // chan receive, same site 3 times
	}
	go func() { leakCh <- 1 }() // chan send... may pair with a receiver
	go func() {
		leakMu.Lock() // sync.Mutex.Lock
		leakMu.Unlock()
	}()
	leakWG.Add(1)
	go func() { leakWG.Wait() }() // WaitGroup.Wait
	go func() {
		select {
		case <-leakSel:
		case <-leakCh:
		}
	}()
	go func() { select {} }() // select (no cases)
}

// mixed: tasks, regions, logs, channels, mutexes, a WaitGroup, a Cond,
// sleeps, a GC cycle and some leaked goroutines.
func mixed() {
	ctx, task := trace.NewTask(context.Background(), "mixed")
	trace.Log(ctx, "phase", "start")

	var wg sync.WaitGroup
	var mu sync.Mutex
	counter := 0
	results := make(chan int)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			wctx, wtask := trace.NewTask(ctx, "worker")
			defer wtask.End()
			trace.WithRegion(wctx, "compute", func() {
				for j := 0; j < 3; j++ {
					mu.Lock()
					counter++
					mu.Unlock()
					runtime.Gosched()
				}
			})
			trace.Logf(wctx, "worker", "id=%d", i)
			results <- i
		}(i)
	}
	sum := 0
	trace.WithRegion(ctx, "collect", func() {
		for i := 0; i < 4; i++ {
			sum += <-results
		}
	})
	wg.Wait()

	// A Cond handshake and a timer.
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	ready := false
	go func() {
		time.Sleep(2 * time.Millisecond)
		cmu.Lock()
		ready = true
		cmu.Unlock()
		cond.Broadcast()
	}()
	cmu.Lock()
	for !ready {
		cond.Wait()
	}
	cmu.Unlock()

	// Garbage to trigger a GC cycle (runtime.GC would spin in Gosched
	// while sweeping, which bloats the trace).
	region := trace.StartRegion(ctx, "garbage")
	for i := 0; i < 6; i++ {
		garbage = make([]byte, 1<<20)
	}
	region.End()
	time.Sleep(20 * time.Millisecond) // let the background sweeper finish quietly

	leak()
	time.Sleep(5 * time.Millisecond)
	trace.Log(ctx, "phase", fmt.Sprintf("done sum=%d counter=%d", sum, counter))
	task.End()
}

// gens: a trace spanning several generations (the runtime starts a new one
// about every second).
func gens() {
	ctx, task := trace.NewTask(context.Background(), "gens")
	defer task.End()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	ch := make(chan int)
	go func() {
		for v := range ch {
			trace.Logf(ctx, "tick", "%d", v)
		}
	}()
	for i := 0; i < 23; i++ {
		<-tick.C
		ch <- i
	}
	close(ch)
	leak()
	time.Sleep(time.Millisecond)
}

var (
	sink    uint64
	garbage []byte
)

// cpu: CPU-profile samples inside the trace.
func cpu() {
	deadline := time.Now().Add(120 * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(1)
			for time.Now().Before(deadline) {
				for j := 0; j < 1000; j++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			sink += x
		}()
	}
	wg.Wait()
}

// procs: GOMAXPROCS changes and ping-pong between goroutines.
func procs() {
	old := runtime.GOMAXPROCS(1)
	pingPong(50)
	runtime.GOMAXPROCS(2)
	pingPong(50)
	runtime.GOMAXPROCS(old)
	pingPong(50)
}

func pingPong(n int) {
	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for v := range a {
			b <- v + 1
		}
		close(done)
	}()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	close(a)
	<-done
}

// syscall: short syscalls and blocking ones long enough for the P to be
// retaken (ProcSteal, GoSyscallEndBlocked).
func syscalls() {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := syscall.NsecToTimespec(int64(30 * time.Millisecond))
			_ = syscall.Nanosleep(&ts, nil)
			_, _ = os.Stat("/")
		}()
	}
	for i := 0; i < 20; i++ {
		_ = syscall.Getpid()
		_, _ = os.Getwd()
	}
	wg.Wait()
	leak()
	time.Sleep(time.Millisecond)
}

// deadlocked: every goroutine but main ends up blocked.
func deadlocked() {
	var a, b sync.Mutex
	start := make(chan struct{})
	go func() {
		a.Lock()
		<-start
		b.Lock()
	}()
	go func() {
		b.Lock()
		<-start
		a.Lock()
	}()
	time.Sleep(time.Millisecond)
	close(start)
	leak()
	time.Sleep(5 * time.Millisecond)
}
