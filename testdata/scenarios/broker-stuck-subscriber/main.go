// broker-stuck-subscriber: the same shape as pubsub-select-forever (main in
// `select {}`, a ticker-driven publisher, a broker loop), but the broker
// delivers while holding its stats lock, and a subscriber reads the stats
// (taking that lock) before it drains its channel: the broker waits for the
// subscriber, which waits for the broker's lock. A partial deadlock beside a
// healthy daemon park.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Broker struct {
	mu        sync.Mutex
	delivered int
	publish   chan string
	sub       chan string
}

func (b *Broker) run() {
	for m := range b.publish {
		b.mu.Lock()
		b.sub <- m // BLOCKS: the subscriber waits for b.mu before it receives
		b.delivered++
		b.mu.Unlock()
	}
}

func (b *Broker) Delivered() int {
	b.mu.Lock() // BLOCKS: run holds b.mu while it sends
	defer b.mu.Unlock()
	return b.delivered
}

func subscriber(b *Broker) {
	for {
		if b.Delivered() > 1000 {
			return
		}
		<-b.sub
	}
}

func publisher(b *Broker) {
	t := time.NewTicker(20 * time.Millisecond)
	for range t.C {
		select {
		case b.publish <- "tick":
		default: // the broker is busy: drop
		}
	}
}

func main() {
	b := &Broker{publish: make(chan string), sub: make(chan string)}
	go b.run()
	go publisher(b)
	time.Sleep(50 * time.Millisecond)
	go subscriber(b)
	time.Sleep(300 * time.Millisecond)
	recordNumGoroutine()
	select {}
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled program.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
