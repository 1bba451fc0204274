// broker-dead-subscriber: the stuck twin of broker-select-forever. The
// broker delivers every event to every subscriber with a blocking send, and
// the audit subscriber returns on its first write error without
// unsubscribing. The broker then blocks forever sending to the channel
// nobody reads, the publishers block handing it events, and the other
// subscribers wait for events that never come. main parks in `select {}`
// (healthy by itself) and a TCP listener keeps accepting: a partial
// deadlock in a live process.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"
)

type Event struct {
	Topic string
	Seq   int
}

type Broker struct {
	subscribe   chan chan Event
	unsubscribe chan chan Event
	publish     chan Event
}

func NewBroker() *Broker {
	return &Broker{
		subscribe:   make(chan chan Event),
		unsubscribe: make(chan chan Event),
		publish:     make(chan Event),
	}
}

func (b *Broker) run() {
	subs := map[chan Event]bool{}
	for {
		select {
		case ch := <-b.subscribe:
			subs[ch] = true
		case ch := <-b.unsubscribe:
			delete(subs, ch)
			close(ch)
		case e := <-b.publish:
			for ch := range subs {
				ch <- e // BLOCKS: the audit subscriber is gone and never unsubscribed
			}
		}
	}
}

func (b *Broker) Subscribe() chan Event {
	ch := make(chan Event)
	b.subscribe <- ch
	return ch
}

func publisher(b *Broker, topic string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for seq := 0; ; seq++ {
		<-t.C
		b.publish <- Event{Topic: topic, Seq: seq} // BLOCKS: the broker is stuck delivering
	}
}

func subscriber(ch <-chan Event, seen *int) {
	for e := range ch { // BLOCKS: the broker is stuck delivering to another subscriber
		*seen = e.Seq
	}
}

var errDiskFull = errors.New("audit log: no space left on device")

// audit appends every event to the audit log; it stops on the first error.
func audit(ch <-chan Event) {
	for e := range ch {
		if e.Seq == 3 {
			log.Printf("audit: %v", errDiskFull)
			return // BUG: leaves without unsubscribing; the broker keeps sending to ch
		}
	}
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept() // idle server: healthy
		if err != nil {
			return
		}
		fmt.Fprintln(c, "pubsub v1")
		c.Close()
	}
}

func main() {
	b := NewBroker()
	go b.run()
	seen := make([]int, 3)
	for i := range seen {
		go subscriber(b.Subscribe(), &seen[i])
	}
	go audit(b.Subscribe())
	go publisher(b, "orders", 10*time.Millisecond)
	go publisher(b, "payments", 25*time.Millisecond)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go serve(ln)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	select {} // run until killed: healthy daemon park
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
