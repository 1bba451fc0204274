// settle-poll-admin-healthy: a long settlement batch. Workers settle
// entries slowly (each takes a while), main polls the progress counter, a
// compactor waits on `kick` until an operator asks for a compaction through
// the admin endpoint (POST /compact, a handler that sends on `kick`). Nothing
// is stuck: the batch is slow, the compactor is idle. A go test that runs
// this times out with main still polling — the test is slow, not stuck, and
// the idle compactor is no finding.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

const entries = 1 << 20

var done atomic.Int64

func worker(next *atomic.Int64) {
	for next.Add(1) <= entries {
		time.Sleep(5 * time.Millisecond) // settle one entry
		done.Add(1)
	}
}

func compactor(kick <-chan struct{}) {
	for range kick { // idle until an operator asks
		fmt.Println("compacted at", done.Load())
	}
}

func main() {
	kick := make(chan struct{})
	go compactor(kick)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/compact", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		kick <- struct{}{}
		fmt.Fprintln(w, "compacting")
	})
	go func() { _ = http.Serve(ln, nil) }()
	var next atomic.Int64
	for i := 0; i < 4; i++ {
		go worker(&next)
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	for done.Load() < entries { // polls while the batch runs
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("batch settled")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
