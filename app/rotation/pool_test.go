package rotation

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"unicam/app/capture"
)

// TestPooledFramesReachDiskIntact records pooled frames, whose buffers are
// poisoned and reused as soon as the recorder releases them, into every
// container with segment cuts and flushes on the way. Every picture must be
// found whole in the files: a release before the bytes are written (the AVI
// writer keeps frames by reference until its flush) would show as a
// missing picture.
func TestPooledFramesReachDiskIntact(t *testing.T) {
	for _, container := range []string{"mkv", "avi", "mjpeg"} {
		t.Run(container, func(t *testing.T) {
			dir := t.TempDir()
			r := newRecorder(t, Config{Dir: dir, Container: container, Segment: 2 * time.Second, MaxBytes: 1 << 30, FlushInterval: time.Hour})
			pool := &capture.FramePool{Poison: true}
			frames := make(chan *capture.Frame)
			var want [][]byte
			done := make(chan error, 1)
			go func() { done <- r.Run(context.Background(), frames) }()
			for i := range 60 {
				src := jpegFrame(t, i, t0.Add(time.Duration(i)*time.Second/10))
				want = append(want, src.JPEG)
				f := pool.Get(src.JPEG)
				f.Time = src.Time
				frames <- f
			}
			close(frames)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			var all []byte
			files, _ := filepath.Glob(filepath.Join(dir, "video*"))
			for _, name := range files {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			if len(files) != 3 {
				t.Errorf("%d segments, want 3 (6 s in 2 s segments)", len(files))
			}
			for i, w := range want {
				if !bytes.Contains(all, w) {
					t.Errorf("frame %d not found whole on disk", i)
				}
			}
		})
	}
}
