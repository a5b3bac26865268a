package capture

import (
	"sync"
	"time"
)

// Source states shown on the status page.
const (
	StateConnecting = "connecting"
	StateStreaming  = "streaming"
	StateBackoff    = "backing off"
	StateStopped    = "stopped"
)

// Status is a source's health for the status page. It never holds
// credentials.
type Status struct {
	Source    string    `json:"source"`
	State     string    `json:"state"`
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
	FPS       float64   `json:"fps"`
	Frames    uint64    `json:"frames"`
	Bytes     uint64    `json:"bytes"`
	// Dropped counts frames thrown away by the source: oversized or broken.
	Dropped uint64 `json:"dropped"`
}

// StatusReporter is implemented by sources that report their health.
type StatusReporter interface {
	Status() Status
}

// tracker keeps a Status up to date; safe for concurrent use.
type tracker struct {
	mu   sync.Mutex
	s    Status
	last time.Time
}

func (t *tracker) state(name, state string) {
	t.mu.Lock()
	t.s.Source, t.s.State = name, state
	t.mu.Unlock()
}

func (t *tracker) fail(err error, at time.Time) {
	t.mu.Lock()
	t.s.LastError, t.s.ErrorAt = err.Error(), at
	t.mu.Unlock()
}

// frame counts one delivered frame of n bytes at time at; fps is an
// exponentially weighted average of the frame intervals.
func (t *tracker) frame(n int, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Frames++
	t.s.Bytes += uint64(n)
	if !t.last.IsZero() {
		if d := at.Sub(t.last).Seconds(); d > 0 {
			inst := 1 / d
			if t.s.FPS == 0 {
				t.s.FPS = inst
			} else {
				t.s.FPS += (inst - t.s.FPS) * 0.1
			}
		}
	}
	t.last = at
}

func (t *tracker) drop(n uint64) {
	t.mu.Lock()
	t.s.Dropped += n
	t.mu.Unlock()
}

func (t *tracker) get() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.s
}
