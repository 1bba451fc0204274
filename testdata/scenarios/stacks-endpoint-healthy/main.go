// stacks-endpoint-healthy: the healthy twin of stacks-endpoint-full-queue. A
// tailer queues log lines (buffered, 8) for three indexers that skip
// malformed lines; a flusher writes a checkpoint on a ticker; the admin HTTP
// server idles in Accept. Nothing is stuck: idle indexers wait for the
// paced tailer. The dump is taken through the service's own /debug/stacks
// endpoint (admin.go), which writes runtime.Stack(buf, true) in the HTTP
// response.
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

var indexed, skipped atomic.Int64

var errMalformed = errors.New("malformed log line")

func parse(line string) (Entry, error) {
	level, msg, ok := strings.Cut(line, " ")
	if !ok || level == "" {
		return Entry{}, fmt.Errorf("%w: %q", errMalformed, line)
	}
	return Entry{Level: level, Msg: msg}, nil
}

// tail emits one line every two milliseconds from the source.
func tail(source []string, queue chan<- string) {
	for i := 0; ; i++ {
		queue <- source[i%len(source)]
		time.Sleep(2 * time.Millisecond)
	}
}

// index consumes the queue, skipping lines it cannot parse.
func index(queue <-chan string) {
	for line := range queue { // idle indexers wait here for the tailer: healthy
		if _, err := parse(line); err != nil {
			skipped.Add(1)
			continue
		}
		indexed.Add(1)
	}
}

// checkpoint records progress every 50ms.
func checkpoint() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	var last int64
	for range t.C { // waits on a ticker: healthy
		last = indexed.Load()
	}
	_ = last
}

func main() {
	source := []string{"INFO started", "DEBUG cache warm", "WARN slow request"}
	for i := 0; i < 30; i++ {
		source = append(source, fmt.Sprintf("INFO request %d served", i))
	}
	source = append(source, "truncated-line-without-message")

	queue := make(chan string, 8)
	for i := 0; i < 3; i++ {
		go index(queue)
	}
	go tail(source, queue)
	go checkpoint()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, adminMux()))
}
