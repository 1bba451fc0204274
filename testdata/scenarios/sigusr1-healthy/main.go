// sigusr1-healthy: the healthy twin of sigusr1-unclosed-batch. A metrics
// exporter samples gauges on a ticker and streams them to a batcher that
// ships a batch when it is full or when its flush ticker fires; main waits
// for both pipeline goroutines, which run until the process is terminated.
// Nothing is stuck. Operators dump the process with SIGUSR1: the signal
// handler in debug.go writes runtime.Stack(buf, true) to stderr (SIGTERM
// exits).
package main

import (
	"fmt"
	"sync"
	"time"
)

type Record struct {
	Name  string
	Value float64
	At    time.Time
}

// sample reads four gauges every 5ms and sends them to out.
func sample(out chan<- Record) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		now := <-t.C // waits on a ticker: healthy
		for g := 0; g < 4; g++ {
			out <- Record{Name: fmt.Sprintf("disk_io_%d", g), Value: float64(i), At: now}
		}
	}
}

// batch ships a batch when it holds size records or every 20ms.
func batch(in <-chan Record, size int) {
	flush := time.NewTicker(20 * time.Millisecond)
	defer flush.Stop()
	var buf []Record
	for {
		select { // waits on the sampler or the flush ticker: healthy
		case r := <-in:
			buf = append(buf, r)
			if len(buf) < size {
				continue
			}
		case <-flush.C:
		}
		ship(buf)
		buf = buf[:0]
	}
}

func ship(rs []Record) int { return len(rs) }

func main() {
	installDebugSignals()
	records := make(chan Record)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sample(records) }()
	go func() { defer wg.Done(); batch(records, 16) }()
	wg.Wait() // the pipeline runs until SIGTERM: healthy
}
