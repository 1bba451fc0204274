// shared-mutex-copies: two copies of a component that share one
// *sync.Mutex. The copy that holds it waits forever on a channel nobody sends
// on; the other waits for the shared mutex. The one waiter's mutex address
// minus its receiver is no field offset (the field is a pointer), so placing
// the holder's mutex at its receiver plus that difference would be wrong:
// gostuck must not claim that nobody holds the mutex (the holder is the
// goroutine blocked on the channel), even though Bump has a return that
// leaves the lock held.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Conn struct {
	name string
	mu   *sync.Mutex
	m    map[int]int
}

// Bump leaves mu locked on the fail path (a bug, but not this hang's).
func (c *Conn) Bump(fail bool) {
	c.mu.Lock()
	if fail {
		return
	}
	c.m[1]++
	c.mu.Unlock()
}

func (c *Conn) Hold(block chan int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[2]++
	<-block // BLOCKS: nobody sends
	c.m[3]++
}

func (c *Conn) Write(k int) int {
	c.mu.Lock() // BLOCKS: Hold has the shared mutex
	defer c.mu.Unlock()
	c.m[k]++
	return c.m[k]
}

func main() {
	shared := &sync.Mutex{}
	block := make(chan int)
	conns := make([]*Conn, 2)
	for i := range conns {
		conns[i] = &Conn{name: strconv.Itoa(i), mu: shared, m: map[int]int{}}
	}
	go conns[0].Hold(block)
	time.Sleep(50 * time.Millisecond)
	for _, c := range conns[1:] {
		go c.Write(1)
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	os.Stdout.Write(buf[:n])

}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
