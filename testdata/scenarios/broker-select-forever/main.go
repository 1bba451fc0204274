// broker-select-forever: a healthy publish/subscribe service. A broker
// goroutine owns the subscriber set and fans every published event out to
// the subscribers' buffered channels; two publishers publish on tickers;
// three subscribers consume; a TCP listener accepts connections. main starts
// everything and parks in `select {}`, the usual daemon idiom. Nothing is
// stuck.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
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
		select { // the broker loop waits for the next request: healthy
		case ch := <-b.subscribe:
			subs[ch] = true
		case ch := <-b.unsubscribe:
			delete(subs, ch)
			close(ch)
		case e := <-b.publish:
			for ch := range subs {
				select {
				case ch <- e:
				default: // a slow subscriber drops events
				}
			}
		}
	}
}

func (b *Broker) Subscribe() chan Event {
	ch := make(chan Event, 16)
	b.subscribe <- ch
	return ch
}

func publisher(b *Broker, topic string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for seq := 0; ; seq++ {
		<-t.C // waits for the ticker: healthy
		b.publish <- Event{Topic: topic, Seq: seq}
	}
}

func subscriber(ch <-chan Event, seen *int) {
	for e := range ch { // waits for the broker: healthy
		*seen = e.Seq
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
