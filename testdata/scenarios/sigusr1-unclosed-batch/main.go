// sigusr1-unclosed-batch: a metrics exporter. read sends the records of a
// spool file to the batcher and returns without closing the channel, so the
// batcher's range never ends and main waits forever for the export total.
// Operators dump the stuck process with SIGUSR1: the signal handler in
// debug.go writes runtime.Stack(buf, true) to stderr (SIGTERM exits).
package main

import (
	"fmt"
	"log"
	"time"
)

type Record struct {
	Name  string
	Value float64
	At    time.Time
}

// read sends every spooled record to out.
func read(spool []Record, out chan<- Record) {
	for _, r := range spool {
		out <- r
	}
	// BUG: no close(out): the batcher cannot tell that the spool is done
}

// batch groups records by size and ships each group; it reports the total
// once its input is closed.
func batch(in <-chan Record, size int, shipped chan<- int) {
	var buf []Record
	total := 0
	for r := range in { // BLOCKS: read returned without close(in)
		buf = append(buf, r)
		if len(buf) == size {
			total += ship(buf)
			buf = buf[:0]
		}
	}
	total += ship(buf)
	shipped <- total
}

func ship(rs []Record) int { return len(rs) }

func main() {
	installDebugSignals()
	now := time.Now()
	spool := make([]Record, 100)
	for i := range spool {
		spool[i] = Record{Name: fmt.Sprintf("disk_io_%d", i%4), Value: float64(i), At: now}
	}
	records := make(chan Record)
	shipped := make(chan int)
	go read(spool, records)
	go batch(records, 16, shipped)
	log.Printf("exported %d records", <-shipped) // BLOCKS: batch never reports
}
