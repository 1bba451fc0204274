// Copied into the goker build by gostuck's GoKer harness (bench/goker) as
// zz_gostuck_ways.go; every kernel's `prof.WriteTo(os.Stdout, 2)` becomes
// `gostuckWrite(prof, os.Stdout)` (same line, so line numbers do not move).
//
// After the kernel's own goroutineleak profile, and only when
// GOSTUCK_GOKER_WAYS names a directory, it captures the same stuck state the
// other ways a user could have: the goroutine profile at debug=1 and debug=0
// and the goroutineleak profile at debug=1 (files in that directory), then a
// SIGQUIT dump (on stderr; the harness sets GOTRACEBACK=all), which ends the
// process with status 2.
package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
)

func gostuckWrite(prof *pprof.Profile, w io.Writer) {
	prof.WriteTo(w, 2)
	dir := os.Getenv("GOSTUCK_GOKER_WAYS")
	if dir == "" {
		return
	}
	save := func(name, profile string, debug int) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return
		}
		pprof.Lookup(profile).WriteTo(f, debug)
		f.Close()
	}
	save("goroutine-debug1.txt", "goroutine", 1)
	save("goroutine-debug0.pb.gz", "goroutine", 0)
	save("goroutineleak-debug1.txt", "goroutineleak", 1)
	os.Stdout.Sync()
	syscall.Kill(os.Getpid(), syscall.SIGQUIT)
	time.Sleep(30 * time.Second)
}
