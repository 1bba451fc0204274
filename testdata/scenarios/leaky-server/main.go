// leaky-server: an HTTP server (loopback only, random port, with
// net/http/pprof) that leaks goroutines steadily: a background poller starts a
// lookup every -every (default 100ms) and gives up waiting after a timeout,
// but the lookup goroutine then blocks forever sending its result. The
// runtime never reports it: the program is alive and the leaked goroutines
// could, in principle, be received from.
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
	"time"
)

// lookup simulates a backend call that answers after the caller gave up.
func lookup(id int, result chan<- string) {
	time.Sleep(20 * time.Millisecond)
	result <- fmt.Sprint("user-", id) // BLOCKS: the caller stopped waiting
}

// fetchUser waits at most 5ms for lookup, then gives up (leaking it).
func fetchUser(id int) (string, bool) {
	result := make(chan string) // unbuffered: the leak
	go lookup(id, result)
	select {
	case r := <-result:
		return r, true
	case <-time.After(5 * time.Millisecond):
		return "", false
	}
}

func poller(every time.Duration) {
	for i := 0; ; i++ {
		fetchUser(i)
		time.Sleep(every)
	}
}

func main() {
	every := flag.Duration("every", 100*time.Millisecond, "how often to leak a goroutine")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go poller(*every)
	fmt.Printf("listening on http://%s\n", ln.Addr())
	_ = http.Serve(ln, nil)
}
