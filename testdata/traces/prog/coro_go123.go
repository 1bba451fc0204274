//go:build go1.23

package main

import (
	"context"
	"iter"
	"runtime/trace"
)

// coro: iter.Pull runs the iterator in a coroutine (GoCreateBlocked,
// GoSwitch, GoSwitchDestroy; Go 1.23+).
func coro() {
	seq := iter.Seq[int](func(yield func(int) bool) {
		for i := 0; i < 5; i++ {
			if !yield(i) {
				return
			}
		}
	})
	next, stop := iter.Pull(seq)
	for {
		v, ok := next()
		if !ok {
			break
		}
		trace.Logf(context.Background(), "pull", "%d", v)
	}
	stop()
	next2, stop2 := iter.Pull(seq)
	next2()
	stop2() // stopped early: the coroutine is destroyed mid-iteration
}
