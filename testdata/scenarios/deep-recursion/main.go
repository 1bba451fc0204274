// deep-recursion: a recursive walk sends its result on an unbuffered channel
// 150 calls deep, while main waits on a WaitGroup before it drains the
// channel (wait-before-drain). The worker's stack is deeper than the runtime
// prints, so its traceback elides frames (`...N frames elided...` from Go
// 1.21 on, in the middle of the stack).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

// walk recurses depth times, then reports one result.
func walk(depth int, out chan<- int) int {
	if depth == 0 {
		out <- 1 // BLOCKS: main receives only after Wait returns
		return 1
	}
	return walk(depth-1, out) + 1
}

func main() {
	out := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		walk(150, out)
	}()
	recordNumGoroutine()
	wg.Wait() // BLOCKS: the worker waits for a receiver that comes after Wait
	fmt.Println(<-out)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
