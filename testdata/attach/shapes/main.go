// shapes parks goroutines in every shape a stack can take that the attach
// reader must print like the runtime: a stack too deep to print whole (the
// middle elided), generic functions, inlined calls, a goroutine locked to its
// thread, one blocked in a system call, one with pprof labels, closures,
// method values, and the common waits. It runs until killed: a live program to attach to.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

var never = make(chan int)

// deep recurses n times, then waits: more than 100 frames.
func deep(n int) int {
	if n == 0 {
		return <-never
	}
	return deep(n-1) + 1
}

// Box is generic: its methods print as main.(*Box[...]).Take.
type Box[T any] struct{ ch chan T }

//go:noinline
func (b *Box[T]) Take() T { return <-b.ch }

func Wait[T any](ch chan T) T { return <-ch }

// recv is small enough to be inlined into its callers.
func recv(ch chan int) int { return <-ch }

func inlined() int { return recv(never) + 1 }

type server struct{ mu sync.Mutex }

func (s *server) serve() {
	s.mu.Lock() // main holds it forever
	defer s.mu.Unlock()
}

func main() {
	go deep(150)
	go (&Box[string]{ch: make(chan string)}).Take()
	go Wait[int](never)
	go inlined()
	go func() {
		runtime.LockOSThread()
		<-never
	}()
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		var b [1]byte
		syscall.Read(p[0], b[:]) // blocks in the kernel: [syscall]
	}()
	s := &server{}
	s.mu.Lock()
	go s.serve()
	var cond = sync.NewCond(&sync.Mutex{})
	go func() {
		cond.L.Lock()
		cond.Wait()
	}()
	go func() {
		select {
		case <-never:
		case <-time.After(time.Hour):
		}
	}()
	go pprof.Do(context.Background(), pprof.Labels("job", "sweep", "tenant", "a b"), func(context.Context) {
		<-never
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go wg.Wait()
	// A collection stamps every blocked goroutine's waitsince (runtime
	// markroot) with the start of the previous one (work.tstart, 0 before
	// the first): after two, dumps can say how many minutes they waited.
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	fmt.Println("ready")
	for {
		time.Sleep(time.Second)
	}
}
