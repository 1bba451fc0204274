// registry-refresh-lock-leak: a service registry is refreshed on a ticker;
// Refresh returns early when its loader fails, with r.mu still locked. The
// resolvers (request paths), the refresher's next Refresh and main's readiness
// lookup all block on r.mu, while a metrics reporter keeps ticking. main
// would wait for SIGINT/SIGTERM through run(ctx) → awaitShutdown(ctx), but
// never gets there.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type Registry struct {
	mu      sync.Mutex
	addrs   map[string]string
	version int
}

var lookups atomic.Int64

// Refresh replaces the address table with what load returns.
func (r *Registry) Refresh(load func() (map[string]string, error)) error {
	r.mu.Lock() // BLOCKS (third refresh): the second one returned with r.mu held
	m, err := load()
	if err != nil {
		return fmt.Errorf("refresh: %w", err) // BUG: returns with r.mu locked
	}
	r.addrs = m
	r.version++
	r.mu.Unlock()
	return nil
}

// Lookup resolves a service name.
func (r *Registry) Lookup(name string) string {
	r.mu.Lock() // BLOCKS: Refresh returned with r.mu held
	defer r.mu.Unlock()
	lookups.Add(1)
	return r.addrs[name]
}

// loader returns a table, failing on its second call.
func loader() func() (map[string]string, error) {
	calls := 0
	return func() (map[string]string, error) {
		calls++
		if calls == 2 {
			return nil, errors.New("discovery endpoint unavailable")
		}
		return map[string]string{"auth": "10.0.0.1:443", "billing": "10.0.0.2:443", "search": "10.0.0.3:443"}, nil
	}
}

func refresher(ctx context.Context, r *Registry, load func() (map[string]string, error)) {
	t := time.NewTicker(40 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := r.Refresh(load); err != nil {
				log.Print(err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// reportLoop logs the lookup rate: a ticker loop, healthy.
func reportLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	last := int64(0)
	for {
		select {
		case <-t.C:
			n := lookups.Load()
			if n != last {
				last = n
			}
		case <-ctx.Done():
			return
		}
	}
}

func resolver(ctx context.Context, r *Registry, name string) {
	for ctx.Err() == nil {
		_ = r.Lookup(name)
		time.Sleep(10 * time.Millisecond)
	}
}

func awaitShutdown(ctx context.Context) {
	<-ctx.Done() // waits for SIGINT/SIGTERM
	log.Print("shutting down")
}

func run(ctx context.Context) error {
	r := &Registry{}
	if err := r.Refresh(loader()); err != nil {
		return err
	}
	go refresher(ctx, r, loader())
	go reportLoop(ctx)
	for _, name := range []string{"auth", "billing", "search"} {
		go resolver(ctx, r, name)
	}
	time.Sleep(300 * time.Millisecond)
	recordNumGoroutine()
	log.Printf("ready: auth at %s", r.Lookup("auth")) // BLOCKS: readiness check on r.mu
	awaitShutdown(ctx)
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
