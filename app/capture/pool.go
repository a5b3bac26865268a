package capture

import (
	"sync"
	"sync/atomic"
)

// FramePool recycles frames and their JPEG buffers between a source and
// the consumers that release them, so a steady stream allocates nothing
// per frame. Frames from a pool are reference counted (see Frame.Retain).
// The zero value is ready to use.
type FramePool struct {
	p sync.Pool
	// Poison overwrites a buffer as it returns to the pool, so a consumer
	// that reads a frame after releasing it sees garbage in tests instead
	// of silently reading a later picture.
	Poison bool
}

// Get returns a frame holding one reference, whose JPEG is a copy of b.
func (fp *FramePool) Get(b []byte) *Frame {
	f := fp.get()
	f.JPEG = append(f.JPEG, b...)
	return f
}

// get returns a frame holding one reference, with an empty JPEG whose
// storage is free to fill.
func (fp *FramePool) get() *Frame {
	f, _ := fp.p.Get().(*Frame)
	if f == nil {
		f = &Frame{refcount: refcount{pool: fp}}
	}
	f.JPEG = f.JPEG[:0]
	f.refs.Store(1)
	return f
}

func (fp *FramePool) put(f *Frame) {
	if fp.Poison {
		for i := range f.JPEG {
			f.JPEG[i] = 0xA5
		}
	}
	if cap(f.JPEG) > 2*len(f.JPEG)+64<<10 {
		// Grown far past its picture (the reader scanned an oversized
		// frame into it before resyncing): not worth keeping, or a few
		// such buffers would pin megabytes each.
		f.JPEG = nil
	}
	fp.p.Put(f)
}

// refcount is the part of a Frame that tracks its holders.
type refcount struct {
	refs atomic.Int32
	pool *FramePool
}

// Retain adds a reference to f for a consumer that keeps it beyond the
// call that handed it over. Each Retain needs one Release.
func (f *Frame) Retain() {
	if f.pool != nil {
		f.refs.Add(1)
	}
}

// Release drops one reference. After the last, a pooled frame's buffer is
// reused for a later picture, so f must not be read again. Frames that do
// not come from a pool are left to the garbage collector and Release does
// nothing.
func (f *Frame) Release() {
	if f.pool == nil {
		return
	}
	switch n := f.refs.Add(-1); {
	case n == 0:
		f.pool.put(f)
	case n < 0:
		panic("capture: frame released more often than retained")
	}
}
