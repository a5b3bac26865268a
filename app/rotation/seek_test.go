package rotation

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"unicam/app/capture"
)

// TestSeek24hSegment writes a 24-hour segment (one small frame a second,
// a cluster each) and starts reading frames at 20 random points of it:
// each start, which the web player makes on every seek, must take well
// under a second, since it reads the Cues and one cluster, not the file.
func TestSeek24hSegment(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 24-hour segment; run without -short")
	}
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: 25 * time.Hour, MaxBytes: 1 << 40})
	j := jpegFrame(t, 1, t0).JPEG
	const secs = 24 * 3600
	for i := 0; i < secs; i++ {
		if err := r.write(&capture.Frame{JPEG: j, Time: t0.Add(time.Duration(i) * time.Second), Width: 64, Height: 48}); err != nil {
			t.Fatal(err)
		}
		if err := r.flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.closeSegment(); err != nil {
		t.Fatal(err)
	}
	seg := r.Catalog().List()[0]
	rng := rand.New(rand.NewPCG(1, 2))
	var worst time.Duration
	for i := 0; i < 20; i++ {
		at := rng.Int64N(secs * 1000)
		start := time.Now()
		f, err := os.Open(filepath.Join(dir, seg.Name))
		if err != nil {
			t.Fatal(err)
		}
		var got int64 = -1
		ReadFrames(f, seg.Size, at, func(ms int64, _ []byte) bool { got = ms; return false })
		f.Close()
		took := time.Since(start)
		worst = max(worst, took)
		if got < at || got > at+1000 {
			t.Errorf("seek to %d ms gave the frame at %d ms", at, got)
		}
	}
	t.Logf("24 h segment, %d bytes: slowest of 20 seeks to the first frame took %v", seg.Size, worst)
	if worst > 500*time.Millisecond {
		t.Errorf("slowest seek %v; the player must start within 1 s", worst)
	}
}
