// config-reload-watcher-gone: a routing service reloads its table whenever
// a file watcher reports a change on r.changed. The watcher polls the file;
// when the file disappears (a deploy replaced the directory) it logs and
// returns. The reloader is left receiving on r.changed, which nothing left
// in the program sends on or closes: the watcher was started once, from
// main, long ago. The HTTP server keeps serving the stale table, so the
// world is open (its accept loop starts a goroutine per request), but no
// handler touches r.changed.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

type Router struct {
	path    string
	changed chan struct{}

	mu     sync.RWMutex
	routes map[string]string
	loads  int
}

func (r *Router) load() error {
	b, err := os.ReadFile(r.path)
	if err != nil {
		return err
	}
	routes := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if from, to, ok := strings.Cut(line, " "); ok {
			routes[from] = to
		}
	}
	r.mu.Lock()
	r.routes = routes
	r.loads++
	r.mu.Unlock()
	return nil
}

// watch reports every change of the file's modification time.
func (r *Router) watch() {
	var last time.Time
	for {
		fi, err := os.Stat(r.path)
		if err != nil {
			log.Printf("watch: %v", err)
			return // BUG: the reloader waits on r.changed forever
		}
		if !fi.ModTime().Equal(last) {
			last = fi.ModTime()
			r.changed <- struct{}{}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reloader applies each change the watcher reports.
func (r *Router) reloader() {
	for {
		<-r.changed // BLOCKS: the watcher returned; nothing else sends
		if err := r.load(); err != nil {
			log.Printf("reload: %v", err)
		}
	}
}

func (r *Router) lookup(w http.ResponseWriter, req *http.Request) {
	r.mu.RLock()
	to, ok := r.routes[req.URL.Path]
	r.mu.RUnlock()
	if !ok {
		http.NotFound(w, req)
		return
	}
	fmt.Fprintln(w, to)
}

func main() {
	dir, err := os.MkdirTemp("", "routes")
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "routes.txt")
	if err := os.WriteFile(path, []byte("/a http://10.0.0.1\n/b http://10.0.0.2\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	r := &Router{path: path, changed: make(chan struct{})}
	go r.reloader()
	go r.watch()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(50 * time.Millisecond)
	os.RemoveAll(dir) // a deploy swaps the config directory
	time.Sleep(150 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/", r.lookup)
	log.Fatal(http.Serve(ln, mux))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
