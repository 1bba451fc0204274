// nil-channel: a struct's channel field is never initialised (no make), so
// it is nil. Receiving from and sending to a nil channel block forever.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

type Notifier struct {
	name   string
	events chan int // BUG: never initialised with make(chan int)
}

func NewNotifier(name string) *Notifier {
	return &Notifier{name: name} // forgot: events: make(chan int)
}

func (n *Notifier) Listen() {
	for v := range n.events { // BLOCKS: receive from nil channel
		fmt.Println(n.name, "event", v)
	}
}

func (n *Notifier) Publish(v int) {
	n.events <- v // BLOCKS: send to nil channel
}

func main() {
	n := NewNotifier("orders")
	go n.Listen()
	time.Sleep(100 * time.Millisecond) // let Listen start
	recordNumGoroutine()
	n.Publish(42)
	fmt.Println("not reached")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
