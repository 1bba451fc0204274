// timer-drain: a debouncing loop resets its timer on every change with the
// old idiom "if !t.Stop() { <-t.C }". But the loop's own select already
// received the timer's value when it fired, so Stop returns false and the
// drain waits for a value that never comes (istio#18454, GoKer Istio18454).
// Changes then pile up on the full reset channel. The process stays alive
// (a timer and a ticker keep the runtime from calling it a deadlock); after
// a while it dumps all goroutine stacks to stdout and exits 0.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

type Debouncer struct {
	timer *time.Timer
	reset chan struct{}
	fired chan struct{}
}

func (d *Debouncer) loop() {
	for {
		select {
		case <-d.timer.C:
			d.fired <- struct{}{}
		case <-d.reset:
			if !d.timer.Stop() {
				<-d.timer.C // BLOCKS: the select above already took the value
			}
			d.timer.Reset(time.Millisecond)
		}
	}
}

// OnChange is called for every change.
func (d *Debouncer) OnChange() {
	d.reset <- struct{}{} // BLOCKS once the loop is stuck and the buffer is full
}

func main() {
	d := &Debouncer{
		timer: time.NewTimer(time.Millisecond),
		reset: make(chan struct{}, 1),
		fired: make(chan struct{}),
	}
	go d.loop()
	<-d.fired // the loop received the timer's value
	for i := 0; i < 3; i++ {
		go d.OnChange()
	}

	// The service keeps running (here: a ticker loop for ~0.5s).
	ticker := time.NewTicker(50 * time.Millisecond)
	for i := 0; i < 10; i++ {
		<-ticker.C
	}
	ticker.Stop()
	fmt.Println("dumping goroutines")

	recordNumGoroutine()
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stdout.Write(buf[:n])
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
