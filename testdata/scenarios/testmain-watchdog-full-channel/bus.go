// Package bus is an in-process event bus: Publish queues an event (buffered,
// 4) and a dispatcher goroutine started by Start delivers queued events to
// the handlers. A test that publishes a burst without calling Start blocks
// on the full queue. The package's TestMain (main_test.go) runs a hang
// watchdog that writes runtime.Stack(buf, true) to stderr and exits 3 when
// the tests take longer than 1s.
package bus

type Event struct {
	Topic string
	Body  string
}

type Bus struct {
	queue    chan Event
	handlers []func(Event)
}

func New() *Bus { return &Bus{queue: make(chan Event, 4)} }

func (b *Bus) Subscribe(h func(Event)) { b.handlers = append(b.handlers, h) }

// Publish queues e; it blocks while the queue is full.
func (b *Bus) Publish(e Event) {
	b.queue <- e // BLOCKS: the queue is full and no dispatcher runs
}

// Start runs the dispatcher.
func (b *Bus) Start() {
	go func() {
		for e := range b.queue {
			for _, h := range b.handlers {
				h(e)
			}
		}
	}()
}

func (b *Bus) Close() { close(b.queue) }
