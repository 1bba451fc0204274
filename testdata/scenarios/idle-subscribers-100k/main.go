// idle-subscribers-100k: a notification hub with many idle subscribers, each
// a goroutine parked on its own channel until a message arrives (like one
// goroutine per open websocket). Nothing is stuck; the process is simply
// big. It is the benchmark target for `gostuck attach` (issue 17): how long
// the process is paused to copy 100,000 goroutines
// (crates/gostuck-attach/benches/pause.rs). SUBSCRIBERS sets the count.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

type Hub struct {
	mu   sync.Mutex
	subs map[int]chan string
}

func (h *Hub) subscribe(id int, ready *sync.WaitGroup) {
	ch := make(chan string, 1)
	h.mu.Lock()
	h.subs[id] = ch
	h.mu.Unlock()
	ready.Done()
	for msg := range ch { // parked until a message comes
		_ = msg
	}
}

func main() {
	n := 100000
	if s, err := strconv.Atoi(os.Getenv("SUBSCRIBERS")); err == nil && s > 0 {
		n = s
	}
	h := &Hub{subs: make(map[int]chan string, n)}
	var ready sync.WaitGroup
	ready.Add(n)
	for i := 0; i < n; i++ {
		go h.subscribe(i, &ready)
	}
	ready.Wait()
	fmt.Printf("ready %d subscribers\n", n)
	for beat := 1; ; beat++ {
		time.Sleep(200 * time.Millisecond)
		h.mu.Lock()
		count := len(h.subs)
		h.mu.Unlock()
		fmt.Printf("heartbeat %d subscribers=%d\n", beat, count)
	}
}
