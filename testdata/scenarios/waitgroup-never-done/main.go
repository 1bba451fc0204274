// waitgroup-never-done: wg.Add(3) but only two workers call wg.Done(); the
// third returns early on an error path without calling Done.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var errBadShard = errors.New("bad shard")

func load(shard int) error {
	if shard == 2 {
		return errBadShard
	}
	return nil
}

func worker(shard int, wg *sync.WaitGroup) {
	if err := load(shard); err != nil {
		fmt.Println("shard", shard, "failed:", err)
		return // BUG: returns without wg.Done()
	}
	fmt.Println("shard", shard, "loaded")
	wg.Done()
}

func main() {
	var wg sync.WaitGroup
	wg.Add(3)
	for i := 0; i < 3; i++ {
		go worker(i, &wg)
	}
	time.Sleep(100 * time.Millisecond) // let the workers finish
	recordNumGoroutine()
	wg.Wait() // BLOCKS: counter stays at 1 forever
	fmt.Println("not reached")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
