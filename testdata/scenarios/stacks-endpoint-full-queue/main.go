// stacks-endpoint-full-queue: a log-ingest service. A tailer reads log lines
// from a source and queues them (buffered, 8) for the indexer. The indexer
// returns on the first malformed line instead of skipping it, so nobody
// receives from the queue any more: it fills up and the tailer blocks
// forever on the send, while the admin HTTP server stays up. The stuck state
// is seen through the service's own /debug/stacks endpoint (admin.go), which
// writes runtime.Stack(buf, true) in the HTTP response.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

type Entry struct {
	Level string
	Msg   string
}

var indexed atomic.Int64

var errMalformed = errors.New("malformed log line")

func parse(line string) (Entry, error) {
	level, msg, ok := strings.Cut(line, " ")
	if !ok || level == "" {
		return Entry{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	return Entry{Level: level, Msg: msg}, nil
}

// tail emits one line per millisecond from the source.
func tail(source []string, queue chan<- string) {
	for i := 0; ; i++ {
		queue <- source[i%len(source)] // BLOCKS: the indexer is gone and the queue is full
		time.Sleep(time.Millisecond)
	}
}

// index consumes the queue until it fails.
func index(queue <-chan string) {
	for line := range queue {
		e, err := parse(line)
		if err != nil {
			log.Printf("indexer: %v", err)
			return // BUG: one bad line stops indexing for good
		}
		_ = e
		indexed.Add(1)
	}
}

func main() {
	source := []string{"INFO started", "DEBUG cache warm", "WARN slow request"}
	for i := 0; i < 30; i++ {
		source = append(source, fmt.Sprintf("INFO request %d served", i))
	}
	source = append(source, "truncated-line-without-message")

	queue := make(chan string, 8)
	go index(queue)
	go tail(source, queue)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, adminMux()))
}
