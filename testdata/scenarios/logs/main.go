// logs: a service that writes timestamped log lines (log.LstdFlags |
// log.Lmicroseconds, to stderr) and twice dumps its own goroutines through
// log.Print, one line per call, so every dump line carries a timestamp
// prefix. Between the two dumps more goroutines get stuck. Exits 0.
package main

import (
	"log"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

type Cache struct {
	mu sync.Mutex
}

var never = make(chan int)

func (c *Cache) refresh() {
	c.mu.Lock() // BLOCKS: main never unlocks
	defer c.mu.Unlock()
}

func fetch(id int) {
	<-never // BLOCKS: reply never comes
}

// logDump logs runtime.Stack(all) one line per log.Print call. If
// interleave is non-empty it is logged right after the first goroutine
// block, as if another component had logged while the dump was written.
func logDump(title, interleave string) {
	log.Printf("=== %s ===", title)
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for _, line := range strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
		log.Print(line)
		if line == "" && interleave != "" {
			log.Print(interleave)
			interleave = ""
		}
	}
	log.Printf("=== end of %s ===", title)
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.Print("service starting")
	c := &Cache{}
	c.mu.Lock()
	go c.refresh()
	go fetch(1)
	time.Sleep(100 * time.Millisecond)
	log.Print("2 requests in flight")
	logDump("goroutine dump 1", "")

	for i := 2; i <= 4; i++ {
		go fetch(i)
	}
	time.Sleep(300 * time.Millisecond)
	log.Print("requests still in flight after 300ms")
	recordNumGoroutine()
	logDump("goroutine dump 2", "http: request GET /orders took 301ms")
	log.Print("shutting down")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
