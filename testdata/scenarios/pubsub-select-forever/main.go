// pubsub-select-forever: a healthy publish/subscribe service. main parks in
// `select {}` (how a daemon waits for ever), a broker loop fans messages out
// to subscribers whose channels it received over `subscribe`, and a ticker
// drives a publisher. Nothing is stuck: the ticker keeps everything moving.
// (The subscribers' channels escape through `b.subscribe <- ch`: the broker
// sends on them as `s`.)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

type Broker struct {
	subscribe chan chan string
	publish   chan string
	subs      []chan string
}

func (b *Broker) run() {
	for {
		select {
		case s := <-b.subscribe:
			b.subs = append(b.subs, s)
		case m := <-b.publish:
			for _, s := range b.subs {
				s <- m
			}
		}
	}
}

func subscriber(b *Broker, name string) {
	ch := make(chan string, 8)
	b.subscribe <- ch
	for m := range ch {
		_ = fmt.Sprintf("%s got %s", name, m)
	}
}

func publisher(b *Broker) {
	t := time.NewTicker(50 * time.Millisecond)
	for range t.C {
		b.publish <- "tick"
	}
}

func main() {
	b := &Broker{subscribe: make(chan chan string), publish: make(chan string)}
	go b.run()
	for i := 0; i < 3; i++ {
		go subscriber(b, fmt.Sprint("s", i))
	}
	go publisher(b)
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
