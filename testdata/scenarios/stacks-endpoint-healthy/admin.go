package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
)

// adminMux serves the operator endpoints: health, counters and the stacks of
// all goroutines (like /debug/pprof/goroutine?debug=2, without importing
// net/http/pprof into the production binary).
func adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "indexed %d\n", indexed.Load())
	})
	mux.HandleFunc("/debug/stacks", func(w http.ResponseWriter, r *http.Request) {
		recordNumGoroutine()
		buf := make([]byte, 1<<20)
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				buf = buf[:n]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(buf)
	})
	return mux
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
