// fanout-healthy: the healthy twin of fanout-abandoned-results and
// rpc-reply-timeout. A search front end queries three index shards in
// parallel for every query and merges what arrives before the query's 40ms
// deadline. The results channel is made per call with room for every shard,
// so a shard that answers late never blocks. Four clients search in a loop;
// at any moment some searches wait in a select on their own results channel
// and ctx.Done() while their shards are still working. Nothing is stuck.
//
// It prints "listening on http://127.0.0.1:PORT" on stdout.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

type hit struct {
	shard int
	docs  []string
}

type shard struct {
	id      int
	latency time.Duration
}

func (s shard) search(q string, results chan<- hit) {
	time.Sleep(s.latency)                                                      // the shard's own work
	results <- hit{shard: s.id, docs: []string{fmt.Sprintf("%s@%d", q, s.id)}} // buffered: never blocks
}

// search returns the hits that arrive before ctx is done.
func search(ctx context.Context, shards []shard, q string) []hit {
	results := make(chan hit, len(shards)) // one slot per shard: late answers do not block
	for _, s := range shards {
		go s.search(q, results)
	}
	var hits []hit
	for range shards {
		select { // waits for its own shards or the deadline: healthy
		case h := <-results:
			hits = append(hits, h)
		case <-ctx.Done():
			return hits
		}
	}
	return hits
}

func client(shards []shard, id int) {
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
		search(ctx, shards, fmt.Sprintf("q%d-%d", id, i))
		cancel()
		time.Sleep(time.Duration(id+1) * time.Millisecond)
	}
}

func main() {
	shards := []shard{{0, 5 * time.Millisecond}, {1, 25 * time.Millisecond}, {2, 70 * time.Millisecond}}
	for i := 0; i < 4; i++ {
		go client(shards, i)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	time.Sleep(200 * time.Millisecond)
	recordNumGoroutine()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	http.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 40*time.Millisecond)
		defer cancel()
		fmt.Fprintln(w, search(ctx, shards, r.URL.Query().Get("q")))
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
