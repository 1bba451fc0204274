// config-reload-on-demand-healthy: healthy twin of config-reload-watcher-gone.
// The routing table is reloaded on demand: an operator's POST /reload (the
// handler is a method value registered on the mux) signals r.changed, and
// the reloader applies it. Between requests the reloader waits on
// r.changed, and no goroutine that exists now sends on it — but a request
// the accept loop has yet to start will. Idle, not stuck.
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

// reloader applies each reload an operator asks for.
func (r *Router) reloader() {
	for {
		<-r.changed // idle until the next POST /reload
		if err := r.load(); err != nil {
			log.Printf("reload: %v", err)
		}
	}
}

// handleReload asks the reloader for a reload, or gives up after a second.
func (r *Router) handleReload(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	select {
	case r.changed <- struct{}{}:
		fmt.Fprintln(w, "reloading")
	case <-time.After(time.Second):
		http.Error(w, "reloader busy", http.StatusServiceUnavailable)
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
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "routes.txt")
	if err := os.WriteFile(path, []byte("/a http://10.0.0.1\n/b http://10.0.0.2\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	r := &Router{path: path, changed: make(chan struct{})}
	if err := r.load(); err != nil {
		log.Fatal(err)
	}
	go r.reloader()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/reload", r.handleReload)
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
