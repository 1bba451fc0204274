// rpc-reply-timeout: a geo-IP lookup pool. Callers send a request carrying
// its own reply channel (unbuffered, one per call) to four workers and wait
// for the reply or their context's deadline. Lookups take 30ms, callers give
// up after 10ms: every worker ends up blocked forever sending a reply nobody
// will read, and the pool stops serving. The callers are not stuck: each
// waits in a select that also has ctx.Done(), gives up at its deadline and
// retries later. The HTTP server stays up.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"context"
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

type reply struct {
	country string
	err     error
}

type request struct {
	ip    string
	reply chan reply
}

type Pool struct {
	requests chan request
}

func NewPool(workers int) *Pool {
	p := &Pool{requests: make(chan request)}
	for i := 0; i < workers; i++ {
		go p.worker()
	}
	return p
}

func (p *Pool) worker() {
	for req := range p.requests {
		time.Sleep(30 * time.Millisecond)              // the database lookup
		req.reply <- reply{country: countryOf(req.ip)} // BLOCKS: the caller gave up (reply is unbuffered)
	}
}

func countryOf(ip string) string {
	if len(ip)%2 == 0 {
		return "NL"
	}
	return "PT"
}

// Lookup asks the pool for the country of ip.
func (p *Pool) Lookup(ctx context.Context, ip string) (string, error) {
	req := request{ip: ip, reply: make(chan reply)} // BUG: unbuffered; abandoned on timeout
	select {
	case p.requests <- req: // callers wait here for a free worker, or their deadline: healthy
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.country, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

var timeouts atomic.Int64

// client looks up an address every 5ms with a 10ms deadline.
func client(p *Pool, id int) {
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		if _, err := p.Lookup(ctx, fmt.Sprintf("10.0.%d.%d", id, i%250)); err != nil {
			timeouts.Add(1)
		}
		cancel()
		time.Sleep(5 * time.Millisecond)
	}
}

func main() {
	pool := NewPool(4)
	for i := 0; i < 3; i++ {
		go client(pool, i)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/country", func(w http.ResponseWriter, r *http.Request) {
		c, err := pool.Lookup(r.Context(), r.URL.Query().Get("ip"))
		fmt.Fprintln(w, c, err)
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
