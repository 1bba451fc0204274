// Package queue is a tiny blocking queue whose test hangs: Pop on an empty
// queue blocks forever, and "go test -timeout 2s" panics with
// "panic: test timed out after 2s" and dumps all goroutines.
package queue

type Queue struct {
	items chan int
}

func New() *Queue { return &Queue{items: make(chan int, 4)} }

func (q *Queue) Push(v int) { q.items <- v }

func (q *Queue) Pop() int {
	return <-q.items // BLOCKS in TestPopEmpty: nothing was pushed
}
