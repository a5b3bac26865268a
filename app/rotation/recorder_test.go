package rotation

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"unicam/app/capture"
)

var t0 = time.Date(2026, 3, 17, 13, 24, 38, 0, time.UTC)

// jpegFrame returns a real JPEG of about size bytes worth of noise.
func jpegFrame(t testing.TB, seq int, at time.Time) *capture.Frame {
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	r := rand.New(rand.NewPCG(uint64(seq), 1))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return &capture.Frame{JPEG: b.Bytes(), Time: at, Seq: uint64(seq), Width: 64, Height: 48}
}

func newRecorder(t *testing.T, cfg Config) *Recorder {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.Location = time.UTC
	cfg.Logger = log.New(io.Discard, "", 0)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// feed writes n frames at fps starting at t0, flushing as the ticker would.
func feed(t *testing.T, r *Recorder, n int, fps float64) {
	t.Helper()
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(float64(i) / fps * float64(time.Second)))
		if err := r.write(jpegFrame(t, i, at)); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i%int(fps) == 0 {
			if err := r.flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.closeSegment(); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentsCloseOnDuration(t *testing.T) {
	r := newRecorder(t, Config{Segment: 10 * time.Second, MaxBytes: 1 << 30})
	feed(t, r, 250, 10) // 25 s of video
	segs := r.Catalog().List()
	var names []string
	for _, s := range segs {
		names = append(names, s.Name)
		if s.Recording {
			t.Errorf("%s still marked recording after close", s.Name)
		}
	}
	want := []string{"video2026-03-17-13-24-58.mkv", "video2026-03-17-13-24-48.mkv", "video2026-03-17-13-24-38.mkv"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("segments newest first = %v, want %v", names, want)
	}
	for i, s := range segs {
		fi, err := os.Stat(filepath.Join(r.cfg.Dir, s.Name))
		if err != nil || fi.Size() != s.Size {
			t.Errorf("%s: on disk %v, catalog size %d", s.Name, err, s.Size)
		}
		frames := []int{50, 100, 100}[i]
		probeFrames(t, filepath.Join(r.cfg.Dir, s.Name), frames)
	}
}

// probeFrames checks a file with the real ffprobe: MJPEG, frame count.
func probeFrames(t *testing.T, file string, frames int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "mjpeg,"+strconv.Itoa(frames); got != want {
		t.Errorf("ffprobe %s = %q, want %q", filepath.Base(file), got, want)
	}
}

func TestByteCapNeverExceeded(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		dir := t.TempDir()
		rng := rand.New(rand.NewPCG(seed, 7))
		limit := int64(200<<10 + rng.IntN(400<<10))
		r := newRecorder(t, Config{Dir: dir, Segment: time.Duration(1+rng.IntN(5)) * time.Second, MaxBytes: limit})
		// A foreign file in the data directory is left alone.
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 600; i++ {
			if err := r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond))); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(8) == 0 {
				if err := r.flush(); err != nil {
					t.Fatal(err)
				}
			}
			if used := dirBytes(t, dir, "video"); used > limit {
				t.Fatalf("seed %d frame %d: %d bytes of segments on disk, cap %d", seed, i, used, limit)
			}
		}
		if err := r.closeSegment(); err != nil {
			t.Fatal(err)
		}
		if used := dirBytes(t, dir, "video"); used > limit || used < limit/2 {
			t.Errorf("seed %d: %d bytes after close, cap %d (want under the cap and the cap used)", seed, used, limit)
		}
		if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
			t.Errorf("foreign file touched: %v", err)
		}
		oldest := r.Catalog().List()
		if r.Dropped() != 0 {
			t.Errorf("seed %d: %d frames dropped", seed, r.Dropped())
		}
		if len(oldest) < 2 {
			t.Errorf("seed %d: %d segments kept", seed, len(oldest))
		}
	}
}

func dirBytes(t *testing.T, dir, prefix string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			fi, _ := e.Info()
			n += fi.Size()
		}
	}
	return n
}

func TestCapSmallerThanASegmentCutsIt(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 150 << 10})
	feed(t, r, 300, 10)
	segs := r.Catalog().List()
	if segs[len(segs)-1].Start.Equal(t0) {
		t.Errorf("the first segment of an hour over a 150 KiB cap was kept whole; want it cut and the oldest deleted")
	}
	if r.Dropped() != 0 {
		t.Errorf("%d frames dropped; cutting the segment must make room", r.Dropped())
	}
	if used := dirBytes(t, dir, "video"); used > 150<<10 {
		t.Errorf("%d bytes on disk over the cap", used)
	}
	for _, s := range segs {
		probeFrames(t, filepath.Join(dir, s.Name), countFrames(t, filepath.Join(dir, s.Name)))
	}
}

// countFrames counts SimpleBlocks by asking ffprobe for packets, to check
// each cut file is readable to its end.
func countFrames(t *testing.T, file string) int {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe packets %s: %v", file, err)
	}
	return strings.Count(string(out), "\n")
}

func TestPartialRecoveredAtStart(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30})
	for i := 0; i < 35; i++ {
		if err := r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			r.flush()
		}
	}
	// Crash: the file stays .partial with 30 frames on disk, 5 in memory.
	r.seg.f.Close()
	partial := "video2026-03-17-13-24-38.mkv.partial"
	if _, err := os.Stat(filepath.Join(dir, partial)); err != nil {
		t.Fatal(err)
	}
	r2 := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30})
	segs := r2.Catalog().List()
	if len(segs) != 1 || segs[0].Name != "video2026-03-17-13-24-38.mkv" {
		t.Fatalf("after restart: %+v", segs)
	}
	probeFrames(t, filepath.Join(dir, segs[0].Name), 30)
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		key string
	}{
		{Config{Dir: "x", Segment: 0, MaxBytes: 1 << 20}, "segment"},
		{Config{Dir: "x", Segment: time.Minute, MaxBytes: 10}, "max-bytes"},
		{Config{Segment: time.Minute, MaxBytes: 1 << 20}, "data"},
	} {
		err := tc.cfg.Validate()
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("Validate(%+v) = %v, want ErrBadConfig naming %s", tc.cfg, err, tc.key)
		}
	}
}

func TestRunFinishesSegmentOnStop(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30})
	frames := make(chan *capture.Frame, 10)
	for i := 0; i < 10; i++ {
		frames <- jpegFrame(t, i, t0.Add(time.Duration(i)*time.Second/5))
	}
	close(frames)
	if err := r.Run(context.Background(), frames); err != nil {
		t.Fatal(err)
	}
	probeFrames(t, filepath.Join(dir, "video2026-03-17-13-24-38.mkv"), 10)
}

func TestParseName(t *testing.T) {
	p, ok := ParseName("video2016-03-17-13-24-38.mkv", time.UTC)
	if !ok || !p.Start.Equal(time.Date(2016, 3, 17, 13, 24, 38, 0, time.UTC)) || p.Partial {
		t.Errorf("ParseName = %+v %v", p, ok)
	}
	if p, ok := ParseName("video2016-03-17-13-24-38-2.mkv.partial", time.UTC); !ok || p.N != 2 || !p.Partial {
		t.Errorf("ParseName(-2.partial) = %+v %v", p, ok)
	}
	for _, bad := range []string{"video2016-03-17.mkv", "../video2016-03-17-13-24-38.mkv", "video2016-13-17-13-24-38.mkv", "notes.txt"} {
		if _, ok := ParseName(bad, time.UTC); ok {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
	if got := SegmentName(t0, 0, ".mkv"); got != "video2026-03-17-13-24-38.mkv" {
		t.Errorf("SegmentName = %s", got)
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("video2016-03-17-13-24-38.mkv")
	f.Add("video2016-03-17-13-24-38-12.mkv.partial")
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseName(s, time.UTC)
		if !ok {
			return
		}
		if strings.ContainsAny(s, "/\\") {
			t.Fatalf("accepted a path %q", s)
		}
		if back := SegmentName(p.Start, p.N, p.Ext); !strings.HasPrefix(s, back) {
			t.Fatalf("%q parsed to %+v, which names %q", s, p, back)
		}
	})
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
