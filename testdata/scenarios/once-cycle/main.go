// once-cycle: sync.Once holds a mutex while its function runs, so other
// callers of Do wait for it. A runs the Once's function, which needs p.mu;
// B holds p.mu and calls Do: each waits for the other (the shape of
// hugo#5379, GoKer Hugo5379).
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Page struct {
	mu        sync.Mutex
	plainInit sync.Once
	plain     string
}

// initPlain is goroutine A's path.
func (p *Page) initPlain(aInDo chan<- struct{}, bHasMu <-chan struct{}) {
	p.plainInit.Do(func() {
		close(aInDo)
		<-bHasMu
		p.mu.Lock() // BLOCKS: B holds p.mu
		p.plain = "plain"
		p.mu.Unlock()
	})
}

// render is goroutine B's path.
func (p *Page) render(aInDo <-chan struct{}, bHasMu chan<- struct{}) {
	<-aInDo
	p.mu.Lock()
	defer p.mu.Unlock()
	close(bHasMu)
	p.plainInit.Do(func() {}) // BLOCKS: A is inside Do and waits for p.mu
}

func main() {
	p := &Page{}
	aInDo := make(chan struct{})
	bHasMu := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.initPlain(aInDo, bHasMu) }()
	go func() { defer wg.Done(); p.render(aInDo, bHasMu) }()
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for A and B
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
