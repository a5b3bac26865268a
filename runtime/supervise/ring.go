package supervise

import (
	"os"
	"sync"
	"time"
)

// Ring keeps the last Size bytes written to it and saves them to Path at
// most once a second, for the app's status page to show its recent output.
type Ring struct {
	Path string
	Size int

	mu    sync.Mutex
	buf   []byte
	dirty bool
	once  sync.Once
}

// Write keeps p's tail; it never fails and never blocks on the file.
func (r *Ring) Write(p []byte) (int, error) {
	r.once.Do(func() { go r.saver() })
	r.mu.Lock()
	r.buf = append(r.buf, p...)
	if over := len(r.buf) - r.Size; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.dirty = true
	r.mu.Unlock()
	return len(p), nil
}

// Bytes returns what the ring holds.
func (r *Ring) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.buf...)
}

func (r *Ring) saver() {
	for range time.Tick(time.Second) {
		r.mu.Lock()
		if !r.dirty {
			r.mu.Unlock()
			continue
		}
		b := append([]byte(nil), r.buf...)
		r.dirty = false
		r.mu.Unlock()
		tmp := r.Path + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, r.Path)
		}
	}
}
