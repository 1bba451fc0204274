// healthy-pool: a busy but healthy process. A worker pool processes jobs fed
// by a paced producer, a TCP server idles in Accept, and a few goroutines
// sit in time.Sleep or in a select with a timer. Nothing is stuck. After
// about one second the program dumps all goroutine stacks to stdout and exits 0.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

var processed atomic.Int64

func crunch(n int) int {
	x := n
	for i := 0; i < 200000; i++ { // CPU work: worker may be running/runnable
		x = x*1664525 + 1013904223
	}
	return x
}

func worker(id int, jobs <-chan int, results chan<- int) {
	for j := range jobs { // idle workers wait here: healthy
		results <- crunch(j)
		processed.Add(1)
	}
}

func producer(ctx context.Context, jobs chan<- int) {
	for i := 0; ; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			close(jobs)
			return
		}
		time.Sleep(time.Millisecond) // paced
	}
}

func collector(results <-chan int) {
	for range results {
	}
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept() // idle server: IO wait in Accept
		if err != nil {
			return
		}
		c.Close()
	}
}

func heartbeat(ctx context.Context) {
	t := time.NewTimer(50 * time.Millisecond)
	for {
		select { // waits on a timer: healthy
		case <-t.C:
			t.Reset(50 * time.Millisecond)
		case <-ctx.Done():
			return
		}
	}
}

func janitor() {
	for {
		time.Sleep(30 * time.Millisecond) // periodic cleanup: healthy
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer ln.Close()
	go serve(ln)

	jobs := make(chan int)
	results := make(chan int, 16)
	for i := 0; i < 4; i++ {
		go worker(i, jobs, results)
	}
	go producer(ctx, jobs)
	go collector(results)
	go heartbeat(ctx)
	go janitor()

	time.Sleep(time.Second)
	recordNumGoroutine()
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stdout.Write(buf[:n])
	fmt.Println("processed jobs:", processed.Load() > 0)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
