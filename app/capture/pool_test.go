package capture

import (
	"bytes"
	"testing"
)

// TestPooledFrameLivesUntilLastRelease follows one pooled frame through a
// hub with two subscribers and Last: its picture stays intact while anyone
// holds it, and its buffer goes back (poisoned) only after the last
// Release.
func TestPooledFrameLivesUntilLastRelease(t *testing.T) {
	fp := &FramePool{Poison: true}
	h := NewHub()
	a, b := h.Subscribe(4), h.Subscribe(4)
	pic := []byte("\xff\xd8picture one\xff\xd9")
	f := fp.Get(pic)
	h.Publish(f)
	f.Release() // the source's own reference

	next := fp.Get([]byte("\xff\xd8picture two\xff\xd9"))
	h.Publish(next) // Last lets go of f
	next.Release()

	fa := <-a.C
	fa.Release()
	if !bytes.Equal(f.JPEG, pic) {
		t.Fatalf("frame reused while subscriber b still holds it: %q", f.JPEG)
	}
	fb := <-b.C
	if fb != f {
		t.Fatal("subscribers got different frames")
	}
	fb.Release()
	if bytes.Equal(f.JPEG, pic) {
		t.Fatal("buffer not returned to the pool after the last Release")
	}

	last := h.Last()
	if !bytes.Contains(last.JPEG, []byte("two")) {
		t.Fatalf("Last = %q", last.JPEG)
	}
	h.Publish(fp.Get([]byte("\xff\xd8three\xff\xd9")))
	if !bytes.Contains(last.JPEG, []byte("two")) {
		t.Fatal("Last's frame reused while its caller still holds it")
	}
	last.Release()
}

// TestDroppedDeliveryReleases checks that a frame a full subscriber misses
// does not keep a reference: otherwise a stalled viewer would pin buffers.
func TestDroppedDeliveryReleases(t *testing.T) {
	fp := &FramePool{Poison: true}
	h := NewHub()
	full := h.Subscribe(1)
	h.Publish(fp.Get([]byte("first")))
	f := fp.Get([]byte("second"))
	h.Publish(f)
	f.Release()
	if full.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", full.Dropped())
	}
	if f.refs.Load() != 1 { // only Last holds it
		t.Fatalf("refs = %d after a dropped delivery, want 1 (Last)", f.refs.Load())
	}
}

func TestReleaseTooOftenPanics(t *testing.T) {
	f := (&FramePool{}).Get([]byte("x"))
	f.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("a second Release did not panic")
		}
	}()
	f.Release()
}

func TestUnpooledFramesIgnoreRefcounts(t *testing.T) {
	f := &Frame{JPEG: []byte("x")}
	f.Retain()
	f.Release()
	f.Release()
	f.Release()
	if string(f.JPEG) != "x" {
		t.Fatal("unpooled frame changed")
	}
}

// TestPoolDropsOverGrownBuffers checks that a buffer grown far past its
// picture is not kept for reuse.
func TestPoolDropsOverGrownBuffers(t *testing.T) {
	fp := &FramePool{}
	f := fp.get()
	f.JPEG = append(make([]byte, 0, 8<<20), "small"...)
	f.Release()
	if g := fp.get(); cap(g.JPEG) >= 8<<20 {
		t.Errorf("an 8 MiB buffer holding 5 bytes came back from the pool")
	}
}
