// select-no-cases: main parks itself with an empty "select {}" after starting
// a watcher goroutine whose select has cases, but on channels nobody ever
// sends on or closes.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func watch(updates <-chan string, quit <-chan struct{}) {
	select { // BLOCKS: nothing is ever sent on updates and quit is never closed
	case u := <-updates:
		fmt.Println("update", u)
	case <-quit:
		fmt.Println("quit")
	}
}

func main() {
	go watch(make(chan string), make(chan struct{}))
	time.Sleep(100 * time.Millisecond) // let watch reach its select
	recordNumGoroutine()
	select {} // BLOCKS: empty select never proceeds
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
