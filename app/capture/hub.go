package capture

import (
	"sync"
	"sync/atomic"
)

// Hub fans one stream of frames out to any number of subscribers. Publish
// never blocks: a subscriber whose buffer is full misses the frame, and the
// miss is counted on that subscription.
//
// Frames are shared by pointer, never copied per subscriber. The hub
// Retains a frame for each subscriber it reaches and for Last; whoever
// receives one Releases it when done.
type Hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	last *Frame
}

// Subscription is one consumer's view of a Hub.
type Subscription struct {
	// C delivers frames in capture order; it is closed by Cancel. Each
	// frame received is Released by the receiver. Frames still buffered at
	// Cancel are left to the garbage collector.
	C       <-chan *Frame
	c       chan *Frame
	hub     *Hub
	dropped atomic.Uint64
	once    sync.Once
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: make(map[*Subscription]struct{})}
}

// Subscribe adds a consumer that may fall behind by at most buffer frames
// before frames are dropped for it.
func (h *Hub) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan *Frame, buffer)
	s := &Subscription{C: c, c: c, hub: h}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Publish offers f to every subscriber without blocking. It is safe to call
// from one goroutine at a time (the source's).
// The caller keeps its own reference to f.
func (h *Hub) Publish(f *Frame) {
	f.Retain()
	h.mu.Lock()
	old := h.last
	h.last = f
	for s := range h.subs {
		f.Retain()
		select {
		case s.c <- f:
		default:
			f.Release()
			s.dropped.Add(1)
		}
	}
	h.mu.Unlock()
	if old != nil {
		old.Release()
	}
}

// Last returns the most recently published frame, or nil before the first.
// The caller Releases a non-nil result when done with it.
func (h *Hub) Last() *Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != nil {
		h.last.Retain()
	}
	return h.last
}

// Dropped reports how many frames this subscriber missed because it was
// behind.
func (s *Subscription) Dropped() uint64 {
	return s.dropped.Load()
}

// Cancel removes the subscription and closes C. It is safe to call more
// than once.
func (s *Subscription) Cancel() {
	s.once.Do(func() {
		s.hub.mu.Lock()
		delete(s.hub.subs, s)
		close(s.c)
		s.hub.mu.Unlock()
	})
}
