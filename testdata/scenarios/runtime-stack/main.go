// runtime-stack: a program that prints its own stacks, with a couple of
// goroutines blocked, then exits 0.
//
//	-mode=all    runtime.Stack(buf, true) to stdout (all goroutines)
//	-mode=debug  debug.Stack() to stdout (only the calling goroutine)
package main

import (
	"flag"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

type Registry struct {
	mu sync.Mutex
}

var never = make(chan string)

func waitForConfig() string {
	return <-never // BLOCKS
}

func (r *Registry) dump(mode string) {
	switch mode {
	case "debug":
		os.Stdout.Write(debug.Stack())
	default:
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.Stdout.Write(buf[:n])
	}
}

func main() {
	mode := flag.String("mode", "all", "all|debug")
	flag.Parse()
	r := &Registry{}
	r.mu.Lock()
	go waitForConfig()
	go func() {
		r.mu.Lock() // BLOCKS: main holds r.mu
		r.mu.Unlock()
	}()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	r.dump(*mode)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
