// daemon-signal-ctx: a healthy service in the usual daemon shape. main
// derives its context from SIGINT/SIGTERM with signal.NotifyContext, starts
// an HTTP server, a cache janitor on a ticker, a job scheduler and workers
// that select on jobs and ctx.Done(), a lease keeper that only waits for
// ctx.Done() to release its lease, and a config reloader that waits for
// SIGHUP on a signal.Notify channel; then main itself blocks in
// <-ctx.Done(). Every one of these waits ends when a signal arrives or a
// timer fires. Nothing is stuck.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

type Cache struct {
	mu    sync.Mutex
	items map[string]time.Time
}

func (c *Cache) janitor(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select { // waits on a ticker or shutdown: healthy
		case now := <-t.C:
			c.mu.Lock()
			for k, exp := range c.items {
				if now.After(exp) {
					delete(c.items, k)
				}
			}
			c.mu.Unlock()
		case <-ctx.Done():
			return
		}
	}
}

func scheduler(ctx context.Context, jobs chan<- int) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-t.C:
		case <-ctx.Done():
			close(jobs)
			return
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			close(jobs)
			return
		}
	}
}

func worker(ctx context.Context, jobs <-chan int, c *Cache) {
	for {
		select { // waits for the scheduler or shutdown: healthy
		case j, ok := <-jobs:
			if !ok {
				return
			}
			c.mu.Lock()
			c.items[strconv.Itoa(j)] = time.Now().Add(30 * time.Millisecond)
			c.mu.Unlock()
		case <-ctx.Done():
			return
		}
	}
}

// keepLease holds a leadership lease until shutdown, then releases it.
func keepLease(ctx context.Context, release func()) {
	<-ctx.Done() // waits for SIGINT/SIGTERM: healthy
	release()
}

// reloader re-reads the configuration on SIGHUP.
func reloader() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	for range hup { // waits for SIGHUP: healthy
		log.Print("reloading configuration")
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := &Cache{items: map[string]time.Time{}}
	jobs := make(chan int)
	go c.janitor(ctx)
	go scheduler(ctx, jobs)
	for i := 0; i < 3; i++ {
		go worker(ctx, jobs, c)
	}
	go keepLease(ctx, func() { log.Print("lease released") })
	go reloader()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		n := len(c.items)
		c.mu.Unlock()
		fmt.Fprintln(w, n)
	})}
	go srv.Serve(ln)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()

	<-ctx.Done() // waits for SIGINT/SIGTERM: healthy
	srv.Shutdown(context.Background())
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
