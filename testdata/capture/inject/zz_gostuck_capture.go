// zz_gostuck_capture.go is copied by scripts/capture-matrix.sh into a
// temporary copy of a scenario program (package main) to capture the same
// stuck state in the ways users capture it. It is not part of any scenario.
//
// Inert unless $GOSTUCK_CAPTURE is set:
//
//	sigquit   start a heartbeat ticker (so a global deadlock stays a live
//	          process), then write the ready file; the script sends SIGQUIT
//	watchdog  a goroutine waits for the stuck state, dumps all goroutines with
//	          runtime.Stack into a growing buffer, logs it to stderr, exits 1
//
// The pprof way is in zz_gostuck_capture_pprof.go, built only with the tag
// gostuck_pprof: importing net links cgo's resolver, and a cgo binary never
// reports "all goroutines are asleep", so the other ways must not import it.
// The test-harness ways (testmain-watchdog, gotest-timeout) are in
// zz_gostuck_capture_test.go.
//
// "Stuck" is read from the $GOSTUCK_NUMGOROUTINE file the scenarios write just
// before they block or dump themselves: a regular file is polled until the
// program wrote it; a named pipe (self-dumping scenarios) blocks the program's
// write, holding it just before its own dump, so a fixed wait is used. Then
// $GOSTUCK_CAPTURE_DELAY (default 1s) more passes before the capture.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

var gostuckHeartbeats atomic.Int64

func init() {
	switch os.Getenv("GOSTUCK_CAPTURE") {
	case "sigquit":
		go gostuckHeartbeat()
		go func() {
			gostuckAwaitStuck()
			gostuckReady("sigquit")
		}()
	case "watchdog":
		go gostuckWatchdog()
	}
}

// gostuckHeartbeat is the kind of background loop live services have (a
// metrics flush on a ticker); it keeps the runtime from reporting a deadlock.
func gostuckHeartbeat() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		gostuckHeartbeats.Add(1)
	}
}

// gostuckAwaitStuck returns once the program reached its stuck state and the
// capture delay has passed.
func gostuckAwaitStuck() {
	delay := time.Second
	if d, err := time.ParseDuration(os.Getenv("GOSTUCK_CAPTURE_DELAY")); err == nil {
		delay = d
	}
	p := os.Getenv("GOSTUCK_NUMGOROUTINE")
	fi, err := os.Stat(p)
	switch {
	case p == "":
		time.Sleep(time.Second)
	case err == nil && fi.Mode()&os.ModeNamedPipe != 0:
		time.Sleep(1500 * time.Millisecond) // the program is blocked writing the pipe by then
	default:
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(delay)
}

// gostuckReady tells the capture script (file $GOSTUCK_CAPTURE_READY) that it
// may act now.
func gostuckReady(content string) {
	p := os.Getenv("GOSTUCK_CAPTURE_READY")
	if p == "" {
		return
	}
	_ = os.WriteFile(p+".tmp", []byte(content+"\n"), 0o644)
	_ = os.Rename(p+".tmp", p)
}

// gostuckWatchdog dumps every goroutine the way a watchdog, an admin endpoint
// or a signal handler in user code logs them, then ends the process.
func gostuckWatchdog() {
	gostuckAwaitStuck()
	buf := make([]byte, 16<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	fmt.Fprintf(os.Stderr, "watchdog: no progress for %v, dumping all goroutines\n%s\n", time.Second, buf)
	os.Exit(1)
}
