// token-bucket-leak: a crawler limits the requests in flight to one
// upstream with a pool of tokens kept in a buffered channel (4 tokens):
// a fetch takes a token by receiving and gives it back by sending. The
// retry loop in Fetch gives the token back on success and before a retry,
// but not when it gives up on a permanent error. Four pages that answer
// 404 drain the pool; the six crawl workers then wait forever for a token,
// and the feeder waits for the workers. Nobody who could give a token back
// is left. A status server stays up.
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
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Limiter hands out tokens; a token must be put back after use.
type Limiter struct {
	tokens chan struct{}
}

func NewLimiter(n int) *Limiter {
	l := &Limiter{tokens: make(chan struct{}, n)}
	for i := 0; i < n; i++ {
		l.tokens <- struct{}{}
	}
	return l
}

func (l *Limiter) Acquire() { <-l.tokens } // BLOCKS: all tokens were leaked by fetches that gave up
func (l *Limiter) Release() { l.tokens <- struct{}{} }

var (
	errNotFound = errors.New("404 not found")
	errBusy     = errors.New("503 busy")
)

type Client struct {
	lim *Limiter
}

// get simulates the upstream: missing pages are 404, the others answer
// (503s happen in production, not in this simulation).
func (c *Client) get(url string) (string, error) {
	time.Sleep(time.Millisecond)
	if strings.HasSuffix(url, "/missing") {
		return "", errNotFound
	}
	return "<html>" + url + "</html>", nil
}

// Fetch gets url, retrying temporary errors up to three times.
func (c *Client) Fetch(url string) (string, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		c.lim.Acquire()
		var body string
		body, err = c.get(url)
		if err == nil {
			c.lim.Release()
			return body, nil
		}
		if !errors.Is(err, errBusy) {
			break // BUG: gives up without putting the token back
		}
		c.lim.Release()
		time.Sleep(time.Millisecond)
	}
	return "", fmt.Errorf("fetch %s: %w", url, err)
}

func worker(c *Client, urls <-chan string) {
	for url := range urls {
		if _, err := c.Fetch(url); err != nil {
			log.Print(err)
		}
	}
}

func feed(urls chan<- string) {
	for i := 0; ; i++ {
		url := fmt.Sprintf("https://example.test/page/%d", i)
		if i%5 == 4 {
			url = fmt.Sprintf("https://example.test/page/%d/missing", i)
		}
		urls <- url // BLOCKS: every worker waits for a token
	}
}

func main() {
	c := &Client{lim: NewLimiter(4)}
	urls := make(chan string)
	for i := 0; i < 6; i++ {
		go worker(c, urls)
	}
	go feed(urls)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tokens free: %d\n", len(c.lim.tokens))
	})
	log.Fatal(http.Serve(ln, nil))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
