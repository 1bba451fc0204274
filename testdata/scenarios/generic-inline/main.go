// generic-inline: goroutines blocked inside a generic function (Drain[T]),
// a method of a generic type (Pool[T].Get), an inlined helper (waitFor,
// shown as "(...)" frames), and a goroutine started from a method value
// (svc.Run). Ends in a runtime-detected deadlock.
package main

import (
	"os"
	"runtime"
	"strconv"
	"time"
)

func Drain[T any](ch <-chan T) []T {
	var out []T
	for v := range ch { // BLOCKS: ch is never closed
		out = append(out, v)
	}
	return out
}

// Collect is kept out of line, so its frame shows the instantiated generic
// name ("main.Collect[...]") with real arguments.
//
//go:noinline
func Collect[T any](ch <-chan T, limit int) []T {
	out := make([]T, 0, limit)
	for len(out) < limit {
		out = append(out, <-ch) // BLOCKS: nothing is ever sent
	}
	return out
}

type Pool[T any] struct {
	items chan T
}

func (p *Pool[T]) Get() T {
	return <-p.items // BLOCKS: pool is empty
}

// waitFor is small enough to be inlined into its callers.
func waitFor(ch <-chan struct{}) {
	<-ch // BLOCKS (inlined into main.main)
}

type Service struct {
	name string
	stop chan struct{}
}

func (s *Service) Run() {
	<-s.stop // BLOCKS: nobody stops the service (inlined into the go wrapper)
}

// Serve is kept out of line; started through a method value it runs via the
// compiler-generated "-fm" wrapper.
//
//go:noinline
func (s *Service) Serve() {
	<-s.stop // BLOCKS: nobody stops the service
}

func main() {
	ints := make(chan int)
	names := make(chan string)
	go Drain(ints)
	go Drain(names)

	p := &Pool[[]byte]{items: make(chan []byte)}
	go p.Get()

	svc := &Service{name: "api", stop: make(chan struct{})}
	run := svc.Run // method value
	go run()
	serve := svc.Serve // method value of an out-of-line method
	go serve()
	go Collect(make(chan float64), 3)

	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	waitFor(make(chan struct{}))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
