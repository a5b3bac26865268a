package capture

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"
	"time"
)

func TestHubSlowSubscriberDropsWithoutBlocking(t *testing.T) {
	h := NewHub()
	fast := h.Subscribe(100)
	slow := h.Subscribe(2)
	done := make(chan struct{})
	go func() {
		for i := 1; i <= 50; i++ {
			h.Publish(&Frame{Seq: uint64(i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that never reads")
	}
	if got := slow.Dropped(); got != 48 {
		t.Errorf("slow subscriber dropped %d, want 48", got)
	}
	if got := fast.Dropped(); got != 0 {
		t.Errorf("fast subscriber dropped %d", got)
	}
	first := <-fast.C
	if first.Seq != 1 || h.Last().Seq != 50 {
		t.Errorf("first %d last %d", first.Seq, h.Last().Seq)
	}
	fast.Cancel()
	fast.Cancel()
	if _, ok := <-slow.C; !ok {
		t.Error("slow channel closed by another's Cancel")
	}
	h.Publish(&Frame{Seq: 51}) // after Cancel: must not panic on the closed channel
}

func TestTestPatternFrames(t *testing.T) {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &TestPattern{Width: 160, Height: 120, FPS: 50, Quality: 80, Sequence: true, Overlay: Overlay{Enabled: true, Pos: BottomRight},
		Now: func() time.Time { return clock }}
	ctx, cancel := context.WithCancel(context.Background())
	var frames []*Frame
	err := p.Run(ctx, func(f *Frame) {
		frames = append(frames, f)
		if len(frames) == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 3 {
		t.Fatalf("%d frames", len(frames))
	}
	for i, f := range frames {
		img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
		if err != nil {
			t.Fatalf("frame %d is not a JPEG: %v", i, err)
		}
		if img.Bounds() != image.Rect(0, 0, 160, 120) || f.Seq != uint64(i+1) || !f.Time.Equal(clock) {
			t.Errorf("frame %d: bounds %v seq %d time %v", i, img.Bounds(), f.Seq, f.Time)
		}
		if c, _ := Comment(f.JPEG); c != SeqComment(f.Seq) {
			t.Errorf("frame %d: COM %q, want %q", i, c, SeqComment(f.Seq))
		}
	}
	if bytes.Equal(frames[0].JPEG, frames[1].JPEG) {
		t.Error("consecutive frames identical; the picture must move")
	}
}

func TestTestPatternValidate(t *testing.T) {
	for _, p := range []*TestPattern{
		{Width: 8, Height: 120, FPS: 5, Quality: 75},
		{Width: 161, Height: 120, FPS: 5, Quality: 75},
		{Width: 160, Height: 120, FPS: 0, Quality: 75},
		{Width: 160, Height: 120, FPS: 5, Quality: 101},
	} {
		if err := p.Validate(); !errors.Is(err, ErrBadSetting) {
			t.Errorf("Validate(%s) = %v", p.Name(), err)
		}
	}
}

// TestBackoffDoublesAndStaysUnderItsCap checks the reconnect delays: from
// min, doubling, never past max even with jitter, and back to min after a
// reset.
func TestBackoffDoublesAndStaysUnderItsCap(t *testing.T) {
	b := backoff{min: time.Second, max: 30 * time.Second}
	var last time.Duration
	for i := range 200 {
		d := b.next()
		if d > 30*time.Second || d < 750*time.Millisecond {
			t.Fatalf("delay %d = %v, want within [0.75 s, 30 s]", i, d)
		}
		last = d
	}
	if last < 22*time.Second {
		t.Errorf("after 200 failures the delay is %v, want near the 30 s cap", last)
	}
	b.reset()
	if d := b.next(); d > 1250*time.Millisecond {
		t.Errorf("after reset: %v, want about 1 s", d)
	}
}
