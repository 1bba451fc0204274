package bus

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the run with every goroutine's stack when the tests hang,
// long before `go test`'s own 10 minute timeout.
func TestMain(m *testing.M) {
	stop := hangWatchdog(time.Second)
	code := m.Run()
	stop()
	os.Exit(code)
}

func hangWatchdog(limit time.Duration) (stop func()) {
	t := time.AfterFunc(limit, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		fmt.Fprintf(os.Stderr, "tests still running after %v; goroutines:\n\n%s", limit, buf[:n])
		os.Exit(3)
	})
	return func() { t.Stop() }
}
