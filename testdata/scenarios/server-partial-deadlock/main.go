// server-partial-deadlock: an HTTP server (loopback only, random port, with
// net/http/pprof) keeps running while two goroutines are stuck in an AB-BA
// lock-order deadlock. Because the server is alive (netpoller), the runtime
// cannot detect it. With -leak=N it also leaks N goroutines blocked on a
// send to a channel nobody will ever receive from.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Inventory struct {
	mu    sync.Mutex
	items map[string]int
}

var barrier sync.WaitGroup

// move moves n items of sku from src to dst, locking src then dst.
func move(src, dst *Inventory, sku string, n int) {
	src.mu.Lock()
	defer src.mu.Unlock()
	barrier.Done()
	barrier.Wait() // both movers now hold their first lock
	dst.mu.Lock()  // BLOCKS: AB-BA, the other mover holds dst.mu and wants src.mu
	defer dst.mu.Unlock()
	src.items[sku] -= n
	dst.items[sku] += n
}

func startRebalancer() {
	east := &Inventory{items: map[string]int{"widget": 10}}
	west := &Inventory{items: map[string]int{"widget": 10}}
	barrier.Add(2)
	go move(east, west, "widget", 1)
	go move(west, east, "widget", 2)
}

// lookup simulates a backend call whose caller stopped waiting.
func lookup(id int, result chan<- string) {
	result <- "user-" + strconv.Itoa(id) // BLOCKS: the requester gave up, nobody receives
}

func startLeakyRequests(n int) {
	for i := 0; i < n; i++ {
		result := make(chan string) // unbuffered, and nobody will ever read it
		go lookup(i, result)
	}
}

func main() {
	leak := flag.Int("leak", 0, "number of goroutines to leak")
	flag.Parse()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	startRebalancer()
	startLeakyRequests(*leak)
	time.Sleep(200 * time.Millisecond) // let everything reach its blocking point
	recordNumGoroutine()

	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{}
	_ = srv.Serve(ln) // main goroutine: idle in Accept (healthy)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
