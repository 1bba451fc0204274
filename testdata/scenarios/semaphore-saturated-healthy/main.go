// semaphore-saturated-healthy: the healthy twin of semaphore-upload-leak and
// token-bucket-leak. A thumbnail service limits concurrent renders with a
// buffered channel used as a semaphore (3 slots, released by defer) and
// limits calls to a storage API with a token pool (2 tokens, returned by
// defer). Twelve request loops keep both saturated: at any moment the slots
// and tokens are held by goroutines that are working (sleeping in the
// simulated render or API call) and the others wait to acquire. Busy, not
// stuck.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

type Renderer struct {
	slots  chan struct{} // semaphore: send to acquire, receive to release
	tokens chan struct{} // token pool: receive to take, send to give back
	done   atomic.Int64
}

func NewRenderer() *Renderer {
	r := &Renderer{slots: make(chan struct{}, 3), tokens: make(chan struct{}, 2)}
	for i := 0; i < cap(r.tokens); i++ {
		r.tokens <- struct{}{}
	}
	return r
}

func (r *Renderer) store(name string) {
	<-r.tokens // waits for a token held by a working store: healthy
	defer func() { r.tokens <- struct{}{} }()
	time.Sleep(8 * time.Millisecond) // the storage API call
}

// Render makes one thumbnail, at most cap(r.slots) at a time.
func (r *Renderer) Render(name string) {
	r.slots <- struct{}{} // waits for a slot held by a working render: healthy
	defer func() { <-r.slots }()
	time.Sleep(time.Millisecond) // decoding and scaling
	r.store(name)
	r.done.Add(1)
}

func requests(r *Renderer, id int) {
	for i := 0; ; i++ {
		r.Render(fmt.Sprintf("img-%d-%d.jpg", id, i))
	}
}

func main() {
	r := NewRenderer()
	for i := 0; i < 12; i++ {
		go requests(r, i)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, r.done.Load())
	})
	log.Fatal(http.Serve(ln, nil))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
