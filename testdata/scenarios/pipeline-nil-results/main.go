// pipeline-nil-results: a worker pool whose results channel is a package
// variable setup (in setup.go) forgets to make. Every worker blocks sending
// its first result on the nil channel and the collector blocks ranging over
// it, while a status ticker runs and main waits for SIGINT.
package main

import (
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

type job struct {
	id      int
	payload string
}

type result struct {
	id   int
	size int
}

var collected atomic.Int64

func work(id int) {
	for j := range jobs {
		results <- result{j.id, len(j.payload)} // BLOCKS: send on a nil channel
	}
}

func collect() {
	for r := range results { // BLOCKS: receive from a nil channel
		collected.Add(int64(r.size))
	}
}

// status logs progress on a ticker: healthy.
func status() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		_ = collected.Load()
	}
}

func main() {
	setup(3)
	go status()
	for i := 0; i < 3; i++ {
		jobs <- job{id: i, payload: "payload-" + strconv.Itoa(i)}
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig // waits for SIGINT
	log.Print("interrupted")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
