//go:build cgo

package main

/*
#include <pthread.h>

void traceprogCallback(void);

static void *traceprogThread(void *arg) {
	traceprogCallback();
	return 0;
}

static void traceprogSpawn(void) {
	pthread_t th;
	pthread_create(&th, 0, traceprogThread, 0);
	pthread_join(th, 0);
}
*/
import "C"

import "runtime"

//export traceprogCallback
func traceprogCallback() {
	runtime.Gosched()
}

// cgo: callbacks from C threads (GoCreateSyscall, GoDestroySyscall).
func cgo() {
	done := make(chan bool)
	for i := 0; i < 3; i++ {
		go func() {
			C.traceprogSpawn()
			done <- true
		}()
	}
	for i := 0; i < 3; i++ {
		<-done
	}
}
