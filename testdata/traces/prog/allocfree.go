package main

import "time"

// allocfree: a little allocation, for GODEBUG=traceallocfree=1 (experimental
// batches and events; Go 1.23+).
func allocfree() {
	var keep [][]byte
	for i := 0; i < 20; i++ {
		keep = append(keep, make([]byte, 64<<i%4096))
	}
	sink += uint64(len(keep))
	time.Sleep(time.Millisecond)
}
