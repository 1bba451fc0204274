// pipeline-results-healthy: healthy twin of pipeline-nil-results. setup (in
// setup.go) makes both package-level channels; a feeder sends a job on every
// tick, idle workers wait on the job queue, the collector on the results,
// and main waits for SIGINT.
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
	for j := range jobs { // idle workers wait here: healthy
		results <- result{j.id, len(j.payload)}
	}
}

func collect() {
	for r := range results { // waits for the next result: healthy
		collected.Add(int64(r.size))
	}
}

// feed sends a job on every tick.
func feed() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		<-t.C
		jobs <- job{id: i, payload: "payload-" + strconv.Itoa(i)}
	}
}

func main() {
	setup(3)
	go feed()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig // waits for SIGINT: healthy
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
