// heartbeat-stuck-transfers: a small ledger service whose transfers
// deadlock while the process stays visibly alive. Each transfer locks its
// source account, then its destination; two opposite transfers that start
// together each hold one account and wait for the other (AB-BA). The status
// loop in main keeps printing a heartbeat, so the runtime never reports a
// deadlock and the process must be examined while it runs: `gostuck attach`
// (issue 17) reads its goroutines, and the heartbeat must go on afterwards.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type Account struct {
	mu      sync.Mutex
	id      string
	balance int
}

type Ledger struct {
	completed atomic.Int64
	jobs      chan func()
}

// transfer moves amount from one account to another, locking the source
// first; the sleep stands for the audit-log write done under the lock.
func (l *Ledger) transfer(from, to *Account, amount int) {
	from.mu.Lock()
	defer from.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	to.mu.Lock() // BLOCKS: the opposite transfer holds `to` and waits for `from`
	defer to.mu.Unlock()
	from.balance -= amount
	to.balance += amount
	l.completed.Add(1)
}

// worker runs background jobs (report generation) from the queue.
func (l *Ledger) worker() {
	for job := range l.jobs { // idle: no jobs are queued
		job()
	}
}

func main() {
	l := &Ledger{jobs: make(chan func())}
	alice := &Account{id: "alice", balance: 100}
	bob := &Account{id: "bob", balance: 100}
	for i := 0; i < 3; i++ {
		go l.worker()
	}
	go l.transfer(alice, bob, 10)
	go l.transfer(bob, alice, 20)
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for beat := 1; ; beat++ {
		<-tick.C
		fmt.Printf("heartbeat %d completed=%d\n", beat, l.completed.Load())
	}
}

// recordNumGoroutine writes runtime.NumGoroutine() to $GOSTUCK_NUMGOROUTINE
// (used by scripts/capture.sh to check the goroutine count of a capture).
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())), 0o644)
	}
}
