// ring-of-mutexes: four workers over a ring of four mutexes (dining
// philosophers). Worker i locks forks[i] and then forks[(i+1)%4]. All four
// goroutines block on the same source line; only the mutex addresses in the
// frames' arguments tell the instances apart and reveal the 4-cycle.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

const n = 4

var forks [n]sync.Mutex

var allHoldFirst sync.WaitGroup

func philosopher(id int, left, right *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	left.Lock()
	defer left.Unlock()
	allHoldFirst.Done()
	allHoldFirst.Wait() // everyone holds their left fork now
	right.Lock()        // BLOCKS: held by worker (id+1)%4 as its left fork
	defer right.Unlock()
	fmt.Println("philosopher", id, "eats")
}

func main() {
	var wg sync.WaitGroup
	allHoldFirst.Add(n)
	wg.Add(n)
	for i := 0; i < n; i++ {
		go philosopher(i, &forks[i], &forks[(i+1)%n], &wg)
	}
	allHoldFirst.Wait()
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for the four deadlocked workers
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
