// fanout-abandoned-results: a price service asks four suppliers for a quote
// in parallel. quote makes a results channel per call (unbuffered) and
// returns on the first supplier error, abandoning the channel: the suppliers
// that answer after that block forever on their send. Ten quotes for an item
// one supplier does not carry leak 30 goroutines. At the same time a bulk
// quote is in progress: its goroutine receives on *its own* results channel
// (same line, another instance) while its suppliers are still working, so
// it is not a partner of the leaked senders. The HTTP server stays up.
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
	"time"
)

type price struct {
	supplier string
	cents    int
	err      error
}

type supplier struct {
	name    string
	latency time.Duration
	carries func(sku string) bool
}

var errNotCarried = errors.New("item not carried")

// ask queries one supplier and sends its answer on results.
func ask(s supplier, sku string, results chan<- price) {
	if !s.carries(sku) {
		results <- price{supplier: s.name, err: fmt.Errorf("%s: %w", s.name, errNotCarried)}
		return
	}
	time.Sleep(s.latency)                                     // the supplier's API call
	results <- price{supplier: s.name, cents: 100 + len(sku)} // BLOCKS: quote already returned
}

// quote returns the lowest price among all suppliers, or the first error.
func quote(suppliers []supplier, sku string) (int, error) {
	results := make(chan price) // one per call; unbuffered
	for _, s := range suppliers {
		go ask(s, sku, results)
	}
	best := -1
	for range suppliers {
		p := <-results // the bulk quote waits here for its own suppliers: healthy
		if p.err != nil {
			return 0, p.err // BUG: abandons results; the other suppliers leak
		}
		if best < 0 || p.cents < best {
			best = p.cents
		}
	}
	return best, nil
}

func main() {
	everything := func(string) bool { return true }
	// initech refuses "x-" items at once; the others answer tens of
	// milliseconds later, so each call returns on that error and abandons
	// exactly the three others.
	suppliers := []supplier{
		{name: "acme", latency: 50 * time.Millisecond, carries: everything},
		{name: "globex", latency: 60 * time.Millisecond, carries: everything},
		{name: "initech", latency: 70 * time.Millisecond, carries: func(sku string) bool { return sku[0] != 'x' }},
		{name: "umbrella", latency: 55 * time.Millisecond, carries: everything},
	}
	for i := 0; i < 10; i++ {
		if _, err := quote(suppliers, fmt.Sprintf("x-%03d", i)); err != nil {
			log.Printf("quote x-%03d: %v", i, err)
		}
	}
	// A bulk quote against slow wholesale suppliers (minutes per answer).
	wholesale := make([]supplier, 3)
	for i := range wholesale {
		wholesale[i] = supplier{name: fmt.Sprint("wholesale-", i), latency: 10 * time.Minute, carries: everything}
	}
	go func() {
		p, err := quote(wholesale, "pallet-7")
		log.Printf("bulk quote: %d %v", p, err)
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(300 * time.Millisecond) // let the abandoned suppliers answer
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/quote", func(w http.ResponseWriter, r *http.Request) {
		p, err := quote(suppliers, r.URL.Query().Get("sku"))
		fmt.Fprintln(w, p, err)
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
