// zz_gostuck_capture_test.go is copied by scripts/capture-matrix.sh next to
// zz_gostuck_capture.go to run a scenario's main() from a test, the way a
// hung test is dumped:
//
//	testmain-watchdog  TestMain starts a watchdog goroutine before m.Run; once
//	                   the test is stuck it logs runtime.Stack(all) and exits
//	gotest-timeout     nothing injected: the test binary runs with
//	                   -test.timeout and the testing package panics with all
//	                   goroutines
package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("GOSTUCK_CAPTURE") == "testmain-watchdog" {
		go gostuckWatchdog()
	}
	os.Exit(m.Run())
}

func TestProgram(t *testing.T) {
	main()
}
