// wait-before-drain: main calls wg.Wait() before draining the unbuffered
// results channel the workers send to. Workers cannot finish their send
// (and reach wg.Done) until main receives; main does not receive until they
// are done.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func square(n int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	results <- n * n // BLOCKS: nobody receives until wg.Wait returns
}

func main() {
	results := make(chan int) // unbuffered
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go square(i, results, &wg)
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	wg.Wait() // BLOCKS: BUG, must drain results first (or wait in a goroutine)
	close(results)
	for r := range results {
		fmt.Println(r)
	}
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
