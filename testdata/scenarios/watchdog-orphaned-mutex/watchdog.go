package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// startWatchdog starts a goroutine that checks every stall/3 that progress
// has moved. When it has not moved for stall, the watchdog writes the stacks
// of all goroutines to stderr and exits with status 2, so that a supervisor
// restarts the service and the logs say where it was stuck. The operator
// can override stall with $WATCHDOG_STALL (a time.Duration string).
func startWatchdog(stall time.Duration, progress *atomic.Int64) {
	if d, err := time.ParseDuration(os.Getenv("WATCHDOG_STALL")); err == nil {
		stall = d
	}
	go func() {
		tick := time.NewTicker(stall / 3)
		defer tick.Stop()
		last, since := progress.Load(), time.Now()
		for now := range tick.C {
			if cur := progress.Load(); cur != last {
				last, since = cur, now
				continue
			}
			if now.Sub(since) < stall {
				continue
			}
			recordNumGoroutine()
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			fmt.Fprintf(os.Stderr, "watchdog: no progress for %v, dumping goroutines\n\n", stall)
			os.Stderr.Write(buf[:n])
			os.Exit(2)
		}
	}()
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
