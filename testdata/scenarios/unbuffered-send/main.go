// unbuffered-send: main sends on an unbuffered channel that nobody receives
// from. The send happens in a helper function, so the blocking frame is not
// main.main itself.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

type Event struct {
	Name string
	Seq  int
}

// publish hands an event to the (never started) consumer.
func publish(events chan<- Event, e Event) {
	events <- e // BLOCKS: unbuffered channel, no receiver exists
}

func main() {
	events := make(chan Event) // unbuffered; the consumer goroutine was never started
	fmt.Println("publishing event")
	recordNumGoroutine()
	publish(events, Event{Name: "started", Seq: 1})
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
