// unlock-in-helper: Delete locks the set, then the device, then calls a
// helper that unlocks the set, lets others in, and locks the set again while
// still holding the device. Touch takes the set, then waits for the device:
// an AB-BA deadlock across a helper (the shape of moby#4951, GoKer
// Moby4951). The set is not held twice: the helper released it.
package main

import (
	"os"
	"runtime"
	"strconv"
	"sync"
)

type DevInfo struct {
	lock sync.Mutex
	name string
}

type DeviceSet struct {
	sync.Mutex
	infos map[string]*DevInfo
}

// Delete is goroutine A.
func (ds *DeviceSet) Delete(name string, released chan<- struct{}, bHasSet <-chan struct{}) {
	ds.Lock()
	defer ds.Unlock()
	info := ds.infos[name]
	info.lock.Lock()
	defer info.lock.Unlock()
	ds.removeAndWait(released, bHasSet)
}

// removeAndWait lets others use the set while it waits, then takes it back.
func (ds *DeviceSet) removeAndWait(released chan<- struct{}, bHasSet <-chan struct{}) {
	ds.Unlock()
	close(released)
	<-bHasSet
	ds.Lock() // BLOCKS: B holds the set and waits for the device A holds
}

// Touch is goroutine B.
func (ds *DeviceSet) Touch(name string, bHasSet chan<- struct{}) {
	ds.Lock()
	defer ds.Unlock()
	close(bHasSet)
	info := ds.infos[name]
	info.lock.Lock() // BLOCKS: A holds the device
	defer info.lock.Unlock()
}

func main() {
	ds := &DeviceSet{infos: map[string]*DevInfo{"sda": {name: "sda"}}}
	released := make(chan struct{})
	bHasSet := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ds.Delete("sda", released, bHasSet) }()
	<-released // A released the set inside its helper
	go func() { defer wg.Done(); ds.Touch("sda", bHasSet) }()
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
