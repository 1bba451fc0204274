// cond-under-lock: a worker read-locks the controller's lock, then waits on a
// queue's Cond whose only Signal came before the Wait (a lost wake-up), still
// holding the read lock. A writer waits for the lock behind it, and main waits
// for the writer. The shape of kubernetes#58107 (GoKer Kubernetes58107): the
// fix there was to stop waiting on the queue while holding the lock.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Queue struct {
	cond *sync.Cond
}

func (q *Queue) Get() {
	q.cond.L.Lock()
	defer q.cond.L.Unlock()
	q.cond.Wait() // BLOCKS: the Signal already happened
}

func (q *Queue) Put() {
	q.cond.Signal() // nobody is waiting yet: this wake-up is lost
}

type Controller struct {
	workerLock sync.RWMutex
	queue      *Queue
}

// work is the worker: it holds the read lock across the queue's Get.
func (c *Controller) work(locked chan<- struct{}) {
	c.workerLock.RLock()
	defer c.workerLock.RUnlock()
	close(locked)
	c.queue.Get()
}

// resync is the writer.
func (c *Controller) resync() {
	c.workerLock.Lock() // BLOCKS: the worker holds the read lock
	defer c.workerLock.Unlock()
}

func main() {
	c := &Controller{queue: &Queue{cond: sync.NewCond(&sync.Mutex{})}}
	c.queue.Put() // before anybody waits

	locked := make(chan struct{})
	go c.work(locked)
	<-locked // the worker holds the read lock

	done := make(chan struct{})
	go func() {
		c.resync()
		close(done)
	}()
	recordNumGoroutine()
	<-done // BLOCKS: waits for the writer
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
