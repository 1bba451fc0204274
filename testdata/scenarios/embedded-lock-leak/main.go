// embedded-lock-leak: a struct embeds sync.Mutex; cleanup returns early with
// the lock held, and later callers lock it through other variable names
// (ds, set). Only the struct type ties the three together (GoKer Moby17176).
package main

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
)

type DeviceSet struct {
	sync.Mutex
	deleted int
}

func (devices *DeviceSet) cleanup() error {
	devices.Lock()
	if devices.deleted == 0 {
		return nil // BUG: returns with devices locked
	}
	devices.deleted = 0
	devices.Unlock()
	return errors.New("cleaned")
}

func count(set *DeviceSet) int {
	set.Lock() // BLOCKS: the lock leaked by cleanup is never released
	defer set.Unlock()
	return set.deleted
}

func main() {
	ds := &DeviceSet{}
	_ = ds.cleanup()
	done := make(chan int)
	go func() {
		done <- count(ds)
	}()
	recordNumGoroutine()
	ds.Lock() // BLOCKS: same leaked lock
	<-done
}

// recordNumGoroutine writes runtime.NumGoroutine() to the file named by
// $GOSTUCK_NUMGOROUTINE (set by scripts/capture.sh), giving the capture an
// independent goroutine count. It is not part of the modelled bug.
func recordNumGoroutine() {
	if p := os.Getenv("GOSTUCK_NUMGOROUTINE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(runtime.NumGoroutine())+"\n"), 0o644)
	}
}
