// semaphore-upload-leak: an object-store uploader limits concurrent uploads
// with a buffered channel used as a counting semaphore (3 slots). Upload
// takes a slot, validates the object, and returns the validation error
// without giving the slot back. After three rejected objects every slot is
// held by an upload that has already returned: the eight uploads of the next
// sync block forever taking a slot, and the sync waits for them. None of the
// waiters holds a slot. The HTTP server stays up.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

type Uploader struct {
	slots chan struct{} // counting semaphore: one token per upload in flight
	mu    sync.Mutex
	store map[string][]byte
}

func NewUploader(concurrency int) *Uploader {
	return &Uploader{slots: make(chan struct{}, concurrency), store: map[string][]byte{}}
}

var errInvalidName = errors.New("invalid object name")

func validate(name string, data []byte) error {
	if strings.ContainsAny(name, " \\") || len(data) == 0 {
		return fmt.Errorf("%w: %q", errInvalidName, name)
	}
	return nil
}

// Upload stores one object, at most cap(u.slots) at a time.
func (u *Uploader) Upload(name string, data []byte) error {
	u.slots <- struct{}{} // acquire  BLOCKS: every slot was taken by an upload that returned
	if err := validate(name, data); err != nil {
		return err // BUG: returns without releasing its slot
	}
	time.Sleep(2 * time.Millisecond) // the PUT request
	u.mu.Lock()
	u.store[name] = data
	u.mu.Unlock()
	<-u.slots // release
	return nil
}

// sync uploads a batch of files concurrently and waits for all of them.
func (u *Uploader) sync(files map[string][]byte) (failed int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, data := range files {
		wg.Add(1)
		go func(name string, data []byte) {
			defer wg.Done()
			if err := u.Upload(name, data); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}(name, data)
	}
	wg.Wait() // BLOCKS: the uploads never get a slot
	return failed
}

func main() {
	u := NewUploader(3)
	bad := map[string][]byte{
		"reports/q1 draft.pdf": []byte("x"),
		"reports\\q2.pdf":      []byte("x"),
		"reports/q3.pdf":       nil,
	}
	log.Printf("first sync: %d failed", u.sync(bad))
	good := map[string][]byte{}
	for i := 0; i < 8; i++ {
		good[fmt.Sprintf("images/%02d.png", i)] = []byte("png")
	}
	go func() { log.Printf("second sync: %d failed", u.sync(good)) }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, u.Upload(r.URL.Query().Get("name"), []byte("body")))
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
