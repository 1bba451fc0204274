package queue

import "testing"

func TestPushPop(t *testing.T) {
	q := New()
	q.Push(1)
	if got := q.Pop(); got != 1 {
		t.Fatalf("Pop() = %d, want 1", got)
	}
}

func TestPopEmpty(t *testing.T) {
	q := New()
	done := make(chan int)
	go func() {
		done <- q.Pop() // BLOCKS: queue is empty
	}()
	if got := <-done; got != 0 { // BLOCKS: the test hangs here until -timeout fires
		t.Fatalf("Pop() = %d", got)
	}
}
