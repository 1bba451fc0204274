// abba: two goroutines transfer money between the same two accounts in
// opposite directions. Each locks its "from" account first and then its "to"
// account: a classic AB-BA lock-order inversion.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type Account struct {
	mu      sync.Mutex
	balance int
}

// bothHoldFirstLock makes the bad interleaving deterministic: each transfer
// waits here until both goroutines hold their first lock.
var bothHoldFirstLock sync.WaitGroup

func transfer(from, to *Account, n int) {
	from.mu.Lock()
	defer from.mu.Unlock()
	bothHoldFirstLock.Done()
	bothHoldFirstLock.Wait()
	to.mu.Lock() // BLOCKS: the other transfer holds to.mu and wants from.mu
	defer to.mu.Unlock()
	from.balance -= n
	to.balance += n
}

func main() {
	alice := &Account{balance: 100}
	bob := &Account{balance: 100}

	var wg sync.WaitGroup
	bothHoldFirstLock.Add(2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		transfer(alice, bob, 10) // locks alice, then bob
	}()
	go func() {
		defer wg.Done()
		transfer(bob, alice, 20) // locks bob, then alice
	}()
	bothHoldFirstLock.Wait()
	recordNumGoroutine()
	wg.Wait() // BLOCKS: waits for the two deadlocked transfers
	fmt.Println("not reached", alice.balance, bob.balance)
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
