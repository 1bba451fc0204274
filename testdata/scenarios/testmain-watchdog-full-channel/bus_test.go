package bus

import (
	"fmt"
	"sync"
	"testing"
)

func TestDeliver(t *testing.T) {
	b := New()
	var wg sync.WaitGroup
	wg.Add(1)
	b.Subscribe(func(e Event) { wg.Done() })
	b.Start()
	b.Publish(Event{Topic: "t", Body: "x"})
	wg.Wait()
	b.Close()
}

func TestPublishBurst(t *testing.T) {
	b := New()
	n := 0
	b.Subscribe(func(Event) { n++ })
	// BUG: b.Start() is missing: nothing drains the queue
	for i := 0; i < 10; i++ {
		b.Publish(Event{Topic: "burst", Body: fmt.Sprint(i)})
	}
	b.Close()
}
