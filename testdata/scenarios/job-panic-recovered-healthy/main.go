// job-panic-recovered-healthy: healthy twin of job-panic-recovered-lock.
// The same runner, but record releases q.mu with a deferred Unlock, which
// runs while the panic unwinds: the bad job is logged and the workers go on.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type Job struct {
	Name string
	Cost int
}

type Queue struct {
	mu    sync.Mutex
	done  map[string]int
	spent int
}

// record accounts a finished job.
func (q *Queue) record(j Job) {
	q.mu.Lock()
	defer q.mu.Unlock() // released on the panic too
	if j.Name == "" {
		panic("job without a name")
	}
	q.done[j.Name]++
	q.spent += j.Cost
}

// safeRun runs one job and survives its panic.
func safeRun(q *Queue, j Job) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("job %q: recovered: %v", j.Name, r)
		}
	}()
	time.Sleep(time.Duration(j.Cost) * time.Millisecond)
	q.record(j)
}

func worker(q *Queue, jobs <-chan Job) {
	for j := range jobs {
		safeRun(q, j)
	}
}

func main() {
	q := &Queue{done: map[string]int{}}
	jobs := make(chan Job)
	for i := 0; i < 3; i++ {
		go worker(q, jobs)
	}
	go func() {
		for i := 0; ; i++ {
			name := fmt.Sprintf("job-%d", i)
			if i == 7 {
				name = "" // a malformed job from upstream
			}
			jobs <- Job{Name: name, Cost: 1 + i%3}
		}
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Fatal(http.Serve(ln, nil))
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
