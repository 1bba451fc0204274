// schedtrace: programs whose scheduler and GC traces (GODEBUG=schedtrace=N,
// scheddetail=1, gctrace=1) show a stuck or a healthy process. Each mode runs
// for -for and then exits 0 by itself (scripts/capture-sched.sh).
//
//	-mode=stuck     a pipeline deadlock kept alive by a ticker: every P idle,
//	                run queues empty, the same goroutines waiting all along
//	-mode=syscall   goroutines blocked in raw read(2) on pipes nobody writes:
//	                one OS thread each, stuck in a system call
//	-mode=gc-stops  allocates (GC cycles) for a while, then deadlocks: the GC
//	                lines stop while the scheduler trace goes on
//	-mode=busy      healthy CPU-bound workers allocating steadily
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

var sink []byte

type stage struct {
	mu  sync.Mutex
	in  chan int
	out chan int
}

func (s *stage) run() {
	for v := range s.in { // BLOCKS: nobody sends or closes s.in
		s.out <- v
	}
}

func (s *stage) stats() {
	s.mu.Lock() // BLOCKS: the consumer holds s.mu while it waits
	defer s.mu.Unlock()
}

func heartbeat() {
	t := time.NewTicker(100 * time.Millisecond)
	for range t.C { // keeps the runtime from declaring a deadlock
	}
}

// deadlock starts the stuck pipeline and returns (the caller keeps living).
func deadlock() {
	s := &stage{in: make(chan int), out: make(chan int)}
	go s.run()
	ready := make(chan struct{})
	go func() {
		s.mu.Lock()
		close(ready)
		<-s.out // BLOCKS: run() never produces anything
		s.mu.Unlock()
	}()
	<-ready
	go s.stats()
}

// allocate allocates for d, spinning the CPU for spin iterations between
// allocations.
func allocate(d time.Duration, spin int) {
	end := time.Now().Add(d)
	x := 1
	for time.Now().Before(end) {
		sink = make([]byte, 256<<10)
		for i := 0; i < spin; i++ {
			x = x*1664525 + 1013904223
		}
	}
	sink = sink[:x&1]
}

func blockInSyscall(n int) {
	for i := 0; i < n; i++ {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go func(fd int) {
			var b [1]byte
			syscall.Read(fd, b[:]) // BLOCKS in read(2): nobody writes the pipe
		}(p[0])
	}
}

func main() {
	mode := flag.String("mode", "stuck", "stuck, syscall, gc-stops or busy")
	dur := flag.Duration("for", 3*time.Second, "how long to run before exiting 0")
	flag.Parse()
	go heartbeat()
	switch *mode {
	case "stuck":
		deadlock()
	case "syscall":
		blockInSyscall(6)
	case "gc-stops":
		allocate(*dur/3, 0)
		deadlock()
	case "busy":
		for i := 0; i < runtime.GOMAXPROCS(0); i++ {
			go allocate(*dur, 1_000_000)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	time.Sleep(*dur)
	fmt.Println("done")
}
