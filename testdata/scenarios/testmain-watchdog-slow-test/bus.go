// Package bus is an in-process event bus: Publish queues an event (buffered,
// 4) and a dispatcher goroutine started by Start delivers queued events to
// the handlers. This is the healthy twin of testmain-watchdog-full-channel:
// the burst test is only slow (its handler takes 300ms per event), so when
// the package's TestMain hang watchdog (main_test.go) writes
// runtime.Stack(buf, true) after 1s and exits 3, nothing is stuck: the
// dispatcher is sleeping in the handler and the publisher waits for it.
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
	b.queue <- e // waits for the dispatcher, which is working: healthy
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
