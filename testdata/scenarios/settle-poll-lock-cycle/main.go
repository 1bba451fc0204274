// settle-poll-lock-cycle: a ledger settles two transfers between the same
// two accounts in opposite directions, each on its own goroutine, and main
// polls until both are settled. Each transfer locks its source account, then
// its destination: the two lock each other out (an AB/BA cycle). main keeps
// polling for ever — it may still act, so it is no evidence by itself, yet
// the cycle is a deadlock whoever else runs, however the dump was taken (a
// go test that runs this times out with main still polling).
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

var settled atomic.Int32

func transfer(from, to *Account, amount int) {
	from.mu.Lock()
	defer from.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // validate the transfer
	to.mu.Lock() // BLOCKS: the other transfer holds `to` and waits for `from`
	defer to.mu.Unlock()
	from.balance -= amount
	to.balance += amount
	settled.Add(1)
}

func main() {
	alice := &Account{id: "alice", balance: 100}
	bob := &Account{id: "bob", balance: 100}
	go transfer(alice, bob, 30)
	go transfer(bob, alice, 20)
	time.Sleep(100 * time.Millisecond)
	recordNumGoroutine()
	for settled.Load() < 2 { // polls for ever
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("settled:", alice.balance, bob.balance)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
