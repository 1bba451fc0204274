// stuck-copy-closure: many copies of one component, one of them stuck, and
// every waiter is a closure (a timer callback), whose frame shows no receiver
// (GoKer's Grpc3017 in the runs where all its waiters sit in the callback).
// Each Conn's mutex is its first field. In the healthy copies a method holds
// it while it sleeps and a callback waits for it. In one copy a callback
// returned early without Unlock, so the next callback waits forever. By class
// alone (`Conn.mu`) the stuck waiter seems to wait for the healthy holders;
// by address (the mutex each waiter waits on, each holder's receiver plus the
// field's offset, 0 for a first field) nobody holds its mutex.
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

// Use locks the Conn for a long operation.
func (c *Conn) Use(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	time.Sleep(d)
	c.n-- // c is live across the sleep: the traceback shows the receiver
}

// expire is the timer callback of a Conn.
func expire(c *Conn) func() {
	return func() {
		c.mu.Lock() // BLOCKS (in the stuck copy: forever)
		if c.closing {
			return // BUG: returns with c.mu held
		}
		c.n--
		c.mu.Unlock()
	}
}

func healthy() {
	c := &Conn{}
	go c.Use(time.Hour) // holds c.mu while it sleeps
	time.Sleep(5 * time.Millisecond)
	time.AfterFunc(0, expire(c)) // waits for the sleeper: live
}

func stuck() {
	c := &Conn{closing: true}
	f := expire(c)
	done := make(chan struct{})
	time.AfterFunc(0, func() { f(); close(done) }) // returns holding c.mu
	<-done
	time.AfterFunc(0, f) // waits forever
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
