package bus

import (
	"fmt"
	"sync"
	"testing"
	"time"
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
	var wg sync.WaitGroup
	b.Subscribe(func(Event) {
		time.Sleep(300 * time.Millisecond) // a slow handler: the test takes 3s
		wg.Done()
	})
	b.Start()
	for i := 0; i < 10; i++ {
		wg.Add(1)
		b.Publish(Event{Topic: "burst", Body: fmt.Sprint(i)})
	}
	wg.Wait()
	b.Close()
}
