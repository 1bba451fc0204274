// stuck-copy-lock: many copies of one component, one of them stuck (the shape
// of GoKer's Grpc3017), in a plain goroutine dump. Each Conn has a mutex. In
// the healthy copies a goroutine holds it while it sleeps and another waits
// for it. In one copy a timer callback returns early without Unlock, so the
// goroutine that then locks it waits forever. By class alone (`Conn.mu`) the
// stuck waiter seems to wait for the healthy holders; by address (the mutex
// each waiter waits on, each holder's receiver) nobody holds its mutex.
//
// The program writes every goroutine's stack (runtime.Stack) to stdout and
// exits.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Conn struct {
	mu      sync.Mutex
	closing bool
	n       int
}

// onTimer runs on a timer's goroutine.
func (c *Conn) onTimer() {
	c.mu.Lock()
	if c.closing {
		return // BUG: returns with c.mu held
	}
	c.n++
	c.mu.Unlock()
}

// Use locks the Conn for a long operation.
func (c *Conn) Use(d time.Duration) {
	c.mu.Lock() // BLOCKS (in the stuck copy: forever)
	defer c.mu.Unlock()
	c.n++
	time.Sleep(d)
	c.n--
}

func healthy() {
	c := &Conn{}
	go c.Use(time.Hour) // holds c.mu while it sleeps
	time.Sleep(5 * time.Millisecond)
	go c.Use(0) // waits for the sleeper: live
}

func stuck() {
	c := &Conn{closing: true}
	done := make(chan struct{})
	time.AfterFunc(time.Millisecond, func() { c.onTimer(); close(done) })
	<-done
	go c.Use(0)
}

func main() {
	for i := 0; i < 6; i++ {
		healthy()
	}
	stuck()
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
