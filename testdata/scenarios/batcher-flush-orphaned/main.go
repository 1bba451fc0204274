// batcher-flush-orphaned: a batcher goroutine serves flush requests; on a
// write error it returns, and nobody serves b.flushReq any more. The
// periodic flusher blocks handing over its next request, while a metrics
// ticker runs and main waits on a context derived (context.WithCancel) from
// a signal.NotifyContext, two calls down.
package main

import (
	"context"
	"errors"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

type Batcher struct {
	flushReq chan chan error
	pending  []string
	writes   int
}

var flushed atomic.Int64

func (b *Batcher) write() error {
	b.writes++
	if b.writes == 3 {
		return errors.New("disk full")
	}
	flushed.Add(int64(len(b.pending)))
	b.pending = b.pending[:0]
	return nil
}

// loop serves flush requests until a write fails.
func (b *Batcher) loop() {
	for reply := range b.flushReq {
		err := b.write()
		reply <- err
		if err != nil {
			return // BUG: the batcher is gone; later flushes wait for ever
		}
	}
}

// Flush asks the batcher to write what is pending.
func (b *Batcher) Flush() error {
	reply := make(chan error, 1)
	b.flushReq <- reply // BLOCKS: the batcher returned after a write error
	return <-reply
}

func flusher(ctx context.Context, b *Batcher) {
	t := time.NewTicker(30 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := b.Flush(); err != nil {
				log.Print(err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// metrics reports the flushed count on a ticker: healthy.
func metrics(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = flushed.Load()
		case <-ctx.Done():
			return
		}
	}
}

func run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	b := &Batcher{flushReq: make(chan chan error)}
	go b.loop()
	go flusher(ctx, b)
	go metrics(ctx)
	time.Sleep(300 * time.Millisecond)
	recordNumGoroutine()
	<-ctx.Done() // waits for SIGINT/SIGTERM
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run(ctx)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
