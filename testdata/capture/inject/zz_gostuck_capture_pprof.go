//go:build gostuck_pprof

// zz_gostuck_capture_pprof.go: with $GOSTUCK_CAPTURE=pprof, a heartbeat
// ticker and net/http/pprof on 127.0.0.1:0 (its own ServeMux); the port goes
// into the ready file once the program is stuck, and the capture script curls
// the goroutine profiles. See zz_gostuck_capture.go.
package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

func init() {
	if os.Getenv("GOSTUCK_CAPTURE") == "pprof" {
		go gostuckHeartbeat()
		go gostuckServePprof()
	}
}

func gostuckServePprof() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gostuck capture:", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	go func() {
		gostuckAwaitStuck()
		gostuckReady(fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	}()
	_ = http.Serve(ln, mux)
}
