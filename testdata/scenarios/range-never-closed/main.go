// range-never-closed: a consumer ranges over a channel, but the producer
// returns without close(ch), so the range loop never ends.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func produce(ch chan<- int) {
	for i := 1; i <= 3; i++ {
		ch <- i
	}
	// BUG: missing close(ch)
}

func consume(ch <-chan int, done chan<- int) {
	sum := 0
	for v := range ch { // BLOCKS: after the 3rd value, waits for a close that never comes
		sum += v
	}
	done <- sum
}

func main() {
	ch := make(chan int)
	done := make(chan int)
	go produce(ch)
	go consume(ch, done)
	time.Sleep(100 * time.Millisecond) // let the producer finish
	recordNumGoroutine()
	fmt.Println("sum:", <-done) // BLOCKS: consumer never finishes
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
