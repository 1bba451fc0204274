// gen-dump starts N goroutines blocked in a realistic mix of ways, then writes
// runtime.Stack(buf, true) — every goroutine's stack, as the Go runtime prints
// it — to a file and exits. It is the input generator for gostuck's benchmarks
// (bench/gen-dump.sh, crates/gostuck-dump/benches/read.rs,
// bench/whole-process.sh); the dump is always real runtime output.
//
// Shape of the population:
//   - -stacks distinct "shapes" (default 3000). A shape fixes the wait kind, the
//     call chain (3–30 steps drawn from methods on pointer receivers, closures,
//     generic functions, a many-argument function, an inlined helper) and how
//     the goroutine was started. Goroutines pick shapes with a skewed
//     distribution: a few large groups and a long tail, as in real servers.
//   - Wait kinds: chan receive, chan send, select (several forms), nil channel,
//     select {}, sync.Mutex, sync.RWMutex (read and write), sync.WaitGroup,
//     sync.Cond, time.Sleep, pipe reads (IO wait and the fd mutex), plus a few
//     runnable goroutines.
//   - Channels, locks and pipes come from pools, so argument values (pointers)
//     vary between goroutines of the same shape.
//
// Usage: gen-dump -n 1000000 -o dump.txt
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// step is one link of a call chain: it does its bit and calls p.fns[d].
type step func(w *Worker, p *plan, d int)

type plan struct {
	fns   []step // fns[d] runs at depth d; the last one blocks
	entry int    // how the goroutine is started
}

type resources struct {
	ch     chan int        // never sent to
	sendCh chan int        // never received from
	mu     *sync.Mutex     // held by main
	rw     *sync.RWMutex   // write-locked by main
	wg     *sync.WaitGroup // Add(1), never Done
	cond   *sync.Cond      // never signalled
	pipe   *os.File        // read end of a pipe nobody writes to
	ctx    context.Context // never cancelled
}

// Worker is the receiver of most steps.
type Worker struct {
	id  int
	res *resources
}

// Server gives a second receiver type.
type Server struct {
	name  string
	conns int
}

var (
	ready  sync.WaitGroup // every goroutine calls Done just before it blocks
	sink   atomic.Int64   // keeps values alive
	server = &Server{name: "api", conns: 128}
)

func keep(v int64) { sink.Add(v) }

// ---- chain steps ----

//go:noinline
func (w *Worker) handle(p *plan, d int) { p.fns[d](w, p, d+1) }

//go:noinline
func (w *Worker) process(p *plan, d int) {
	defer keep(int64(d))
	p.fns[d](w, p, d+1)
}

//go:noinline
func (s *Server) serveConn(w *Worker, p *plan, d int) {
	s.conns++
	p.fns[d](w, p, d+1)
}

//go:noinline
func stepGeneric[T any](w *Worker, p *plan, d int) {
	var zero T
	_ = zero
	p.fns[d](w, p, d+1)
}

//go:noinline
func (w *Worker) withOptions(p *plan, d int) {
	configure(w, p, d, int64(w.id), 42, 7, 0.75, "options", true, uint8(d), 1<<20)
}

//go:noinline
func configure(w *Worker, p *plan, d int, id, limit, retries int64, ratio float64, name string, verbose bool, level uint8, max int) {
	if verbose && ratio > 0 && len(name) > 0 && int(level) < max {
		keep(id + limit + retries)
	}
	p.fns[d](w, p, d+1)
}

//go:noinline
func (w *Worker) retry(p *plan, d int) {
	attempt := func(n int) { // usually inlined: printed as main.(*Worker).retry.func1(...)
		if n >= 0 {
			p.fns[d](w, p, d+1)
		}
	}
	attempt(d)
}

// middleware is a package-level closure.
var middleware = func(w *Worker, p *plan, d int) {
	keep(1)
	p.fns[d](w, p, d+1)
}

var chainSteps = []step{
	(*Worker).handle,
	(*Worker).handle,
	(*Worker).process,
	func(w *Worker, p *plan, d int) { server.serveConn(w, p, d) },
	stepGeneric[int],
	stepGeneric[string],
	(*Worker).withOptions,
	(*Worker).retry,
	middleware,
}

// ---- blockers: the last step ----

func recvFrom(c chan int) int { return <-c } // inlinable: an inlined frame

//go:noinline
func blockChanRecv(w *Worker, p *plan, d int) {
	ready.Done()
	keep(int64(recvFrom(w.res.ch)))
}

//go:noinline
func blockChanSend(w *Worker, p *plan, d int) {
	ready.Done()
	w.res.sendCh <- d
}

//go:noinline
func blockSelect(w *Worker, p *plan, d int) {
	ready.Done()
	select {
	case v := <-w.res.ch:
		keep(int64(v))
	case <-w.res.ctx.Done():
	case w.res.sendCh <- d:
	}
}

//go:noinline
func blockSelectTimer(w *Worker, p *plan, d int) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	ready.Done()
	select {
	case <-t.C:
	case <-w.res.ctx.Done():
	}
}

//go:noinline
func blockNilChan(w *Worker, p *plan, d int) {
	var c chan int
	ready.Done()
	<-c
}

//go:noinline
func blockForever(w *Worker, p *plan, d int) {
	ready.Done()
	select {}
}

//go:noinline
func blockMutex(w *Worker, p *plan, d int) {
	ready.Done()
	w.res.mu.Lock()
	w.res.mu.Unlock()
}

//go:noinline
func blockRLock(w *Worker, p *plan, d int) {
	ready.Done()
	w.res.rw.RLock()
	w.res.rw.RUnlock()
}

//go:noinline
func blockWLock(w *Worker, p *plan, d int) {
	ready.Done()
	w.res.rw.Lock()
	w.res.rw.Unlock()
}

//go:noinline
func blockWaitGroup(w *Worker, p *plan, d int) {
	ready.Done()
	w.res.wg.Wait()
}

//go:noinline
func blockCond(w *Worker, p *plan, d int) {
	c := w.res.cond
	c.L.Lock()
	ready.Done()
	c.Wait()
	c.L.Unlock()
}

//go:noinline
func blockSleep(w *Worker, p *plan, d int) {
	ready.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func blockPipe(w *Worker, p *plan, d int) {
	var b [64]byte
	ready.Done()
	n, _ := w.res.pipe.Read(b[:])
	keep(int64(n))
}

// blockers with weights (per shape; shapes are then drawn with a skew).
var blockers = []struct {
	fn     step
	weight int
}{
	{blockSelect, 18},
	{blockSelectTimer, 8},
	{blockChanRecv, 18},
	{blockChanSend, 7},
	{blockMutex, 10},
	{blockRLock, 5},
	{blockWLock, 2},
	{blockWaitGroup, 8},
	{blockCond, 7},
	{blockSleep, 12},
	{blockPipe, 1},
	{blockNilChan, 2},
	{blockForever, 2},
}

// ---- goroutine entries ----

//go:noinline
func (w *Worker) run(p *plan) { p.fns[0](w, p, 1) }

//go:noinline
func serve(w *Worker, p *plan, id int) {
	if id < 0 {
		return
	}
	p.fns[0](w, p, 1)
}

// Pool starts goroutines three ways, so "created by" lines vary.
type Pool struct {
	name string
}

//go:noinline
func (pl *Pool) spawn(w *Worker, p *plan) {
	switch p.entry {
	case 0:
		go w.run(p)
	case 1:
		go func() {
			p.fns[0](w, p, 1)
		}()
	default:
		go serve(w, p, w.id)
	}
}

func makeShapes(n int, seed uint64) []*plan {
	total := 0
	for _, b := range blockers {
		total += b.weight
	}
	shapes := make([]*plan, n)
	for s := range shapes {
		r := rand.New(rand.NewPCG(seed, uint64(s)))
		// Depth 3..30 steps, most stacks shallow, some deep.
		u := r.Float64()
		depth := 3 + int(28*u*u*u*u*u*u)
		if depth > 30 {
			depth = 30
		}
		k := r.IntN(total)
		var blk step
		for _, b := range blockers {
			if k < b.weight {
				blk = b.fn
				break
			}
			k -= b.weight
		}
		fns := make([]step, depth)
		for i := 0; i < depth-1; i++ {
			fns[i] = chainSteps[r.IntN(len(chainSteps))]
		}
		fns[depth-1] = blk
		shapes[s] = &plan{fns: fns, entry: r.IntN(3)}
	}
	return shapes
}

func makeResources(n int) []*resources {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel // never called
	out := make([]*resources, n)
	for i := range out {
		r := &resources{
			ch:     make(chan int),
			sendCh: make(chan int),
			mu:     &sync.Mutex{},
			rw:     &sync.RWMutex{},
			wg:     &sync.WaitGroup{},
			cond:   sync.NewCond(&sync.Mutex{}),
			ctx:    ctx,
		}
		r.mu.Lock()
		r.rw.Lock()
		r.wg.Add(1)
		if i < 32 {
			pr, pw, err := os.Pipe()
			if err != nil {
				fmt.Fprintln(os.Stderr, "gen-dump: pipe:", err)
				os.Exit(1)
			}
			_ = pw // kept open, never written
			r.pipe = pr
			pipeWriters = append(pipeWriters, pw)
		} else {
			r.pipe = out[i%32].pipe
		}
		out[i] = r
	}
	return out
}

var pipeWriters []*os.File

func main() {
	n := flag.Int("n", 1_000_000, "goroutines to start")
	out := flag.String("o", "", "file to write the dump to (required)")
	nstacks := flag.Int("stacks", 3000, "distinct stack shapes")
	seed := flag.Uint64("seed", 1, "random seed")
	spawners := flag.Int("spawners", 8, "goroutines that start the others")
	busy := flag.Int("busy", 2, "runnable goroutines spinning while the dump is taken")
	age := flag.Duration("age", 0, "wait this long before dumping (>= 1m makes headers show `N minutes`)")
	flag.Parse()
	if *out == "" || *n < 1 || *nstacks < 1 || *spawners < 1 {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	shapes := makeShapes(*nstacks, *seed)
	res := makeResources(256)
	pools := []*Pool{{name: "ingest"}, {name: "rpc"}, {name: "jobs"}}

	// Spawner goroutines start the population in parallel; their children
	// print "created by main.(*Pool).spawn… in goroutine <spawner>".
	ready.Add(*n)
	var spawned sync.WaitGroup
	per := (*n + *spawners - 1) / *spawners
	for k := 0; k < *spawners; k++ {
		lo, hi := k*per, min((k+1)*per, *n)
		if lo >= hi {
			break
		}
		spawned.Add(1)
		go func(k, lo, hi int) {
			defer spawned.Done()
			r := rand.New(rand.NewPCG(*seed^0x9e3779b97f4a7c15, uint64(k)))
			pl := pools[k%len(pools)]
			for i := lo; i < hi; i++ {
				u := r.Float64()
				s := int(float64(len(shapes)) * u * u * u) // skewed: big groups, long tail
				w := &Worker{id: i, res: res[r.IntN(len(res))]}
				pl.spawn(w, shapes[s])
			}
		}(k, lo, hi)
	}
	spawned.Wait()
	ready.Wait()
	if *age > 0 {
		runtime.GC() // the GC records when it first saw each goroutine blocked
		time.Sleep(*age)
	}
	time.Sleep(300 * time.Millisecond) // let the last ones park
	var stop atomic.Bool
	for i := 0; i < *busy; i++ {
		go func() {
			for !stop.Load() {
				runtime.Gosched()
			}
		}()
	}
	runtime.Gosched()
	spawnTime := time.Since(start)

	t := time.Now()
	size := *n*1300 + 1<<20
	var dump []byte
	for {
		buf := make([]byte, size)
		m := runtime.Stack(buf, true)
		if m < len(buf) {
			dump = buf[:m]
			break
		}
		size *= 2
	}
	stop.Store(true)
	stackTime := time.Since(t)
	if err := os.WriteFile(*out, dump, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-dump:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen-dump: %d goroutines (%d shapes), %d bytes (%.0f B/goroutine), %s; start %s, runtime.Stack %s\n",
		runtime.NumGoroutine(), len(shapes), len(dump), float64(len(dump))/float64(*n), runtime.Version(),
		spawnTime.Round(time.Millisecond), stackTime.Round(time.Millisecond))
	os.Exit(0)
}
