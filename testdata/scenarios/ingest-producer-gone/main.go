// ingest-producer-gone: an ingestion service. main() only parses flags and
// calls run(), which starts a consumer ranging over a queue, a producer that
// tails a spool file into the queue, and then serves a status page. The
// producer gives up when the spool file is missing (it returns without
// closing the queue); the consumer then waits on the queue for ever while
// the server keeps answering. Nothing that can still run sends on or closes
// the queue: run() itself is in progress (it will not start a second
// producer), and no handler touches the queue.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

type Ingest struct {
	spool string
	queue chan string
	seen  atomic.Int64
}

// produce tails the spool file into the queue.
func (in *Ingest) produce() {
	f, err := os.Open(in.spool)
	if err != nil {
		log.Printf("produce: %v", err)
		return // BUG: returns without close(in.queue); the consumer waits for ever
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		in.queue <- sc.Text()
	}
	close(in.queue)
}

// consume stores every record of the queue.
func (in *Ingest) consume() {
	for rec := range in.queue { // BLOCKS: the producer is gone
		_ = rec
		in.seen.Add(1)
	}
}

func (in *Ingest) status(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintf(w, "records: %d\n", in.seen.Load())
}

func run(spool string) error {
	in := &Ingest{spool: spool, queue: make(chan string)}
	go in.consume()
	go in.produce()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/status", in.status)
	return http.Serve(ln, nil)
}

func main() {
	spool := flag.String("spool", "/nonexistent/ingest.spool", "spool file to tail")
	flag.Parse()
	if err := run(*spool); err != nil {
		log.Fatal(err)
	}
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
