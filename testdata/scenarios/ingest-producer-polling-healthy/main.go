// ingest-producer-polling-healthy: healthy twin of ingest-producer-gone. The
// producer does not give up when the spool file is missing: it polls for it
// every 20ms and queues its records once it appears. The consumer waits on
// the queue meanwhile — idle, not stuck: the sleeping producer still sends.
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

// produce waits for the spool file, then tails it into the queue.
func (in *Ingest) produce() {
	for {
		f, err := os.Open(in.spool)
		if err != nil {
			time.Sleep(20 * time.Millisecond) // not there yet: poll
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			in.queue <- sc.Text()
		}
		f.Close()
		_ = os.Remove(in.spool)
	}
}

// consume stores every record of the queue.
func (in *Ingest) consume() {
	for rec := range in.queue { // idle until the spool file appears
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
