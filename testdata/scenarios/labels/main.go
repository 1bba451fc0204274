// labels: goroutines carrying pprof labels (set with pprof.Do, or inherited
// by goroutines started inside pprof.Do) are blocked; the program then dumps
// all goroutines and exits 0.
//
//	-mode=stack  runtime.Stack(buf, true) to stdout (labels appear in the
//	             goroutine header only with GODEBUG=tracebacklabels=1 on Go 1.27,
//	             or by default for modules declaring go >= 1.27)
//	-mode=pprof1 pprof.Lookup("goroutine").WriteTo(os.Stdout, 1)  ("# labels: {...}")
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

var never = make(chan struct{}) // never closed

func serveRequest(ctx context.Context) {
	<-never // BLOCKS: goroutine labelled by pprof.Do
}

func backgroundFlush() {
	<-never // BLOCKS: goroutine inherited its labels from the creator
}

func main() {
	mode := flag.String("mode", "stack", "stack|pprof1")
	flag.Parse()

	ctx := context.Background()
	for i := 0; i < 2; i++ {
		go func(w int) {
			pprof.Do(ctx, pprof.Labels("req", "GET /x", "worker", strconv.Itoa(7+w)), serveRequest)
		}(i)
	}
	go pprof.Do(ctx, pprof.Labels("job", "flush", "note", "has \"quotes\" and\ttab"), func(ctx context.Context) {
		go backgroundFlush() // inherits job=flush labels
		<-never              // BLOCKS: labelled goroutine
	})
	go func() {
		<-never // BLOCKS: no labels
	}()
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()

	switch *mode {
	case "pprof1":
		pprof.Lookup("goroutine").WriteTo(os.Stdout, 1)
	default:
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.Stdout.Write(buf[:n])
	}
	fmt.Println("exit")
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
