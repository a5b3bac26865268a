package rotation

import (
	"bytes"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recordPartial writes frames into an open segment with a flush every
// `every` frames and returns the file's bytes as they stood before close,
// with the file size and frames on disk after each flush.
func recordPartial(t *testing.T, n, every int) (data []byte, sizes []int64, frames []int64) {
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30})
	for i := 0; i < n; i++ {
		if err := r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
		if (i+1)%every == 0 {
			if err := r.flush(); err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, r.seg.c.size())
			frames = append(frames, r.seg.c.frameCount())
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, r.seg.name+PartialSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return data, sizes, frames
}

// TestRepairRandomTruncations cuts a segment at 1,000 random points, as
// power loss would, and checks each repair keeps every frame written
// before the last flush that completed, and yields a finished, indexed
// segment. A sample is also checked with ffprobe.
func TestRepairRandomTruncations(t *testing.T) {
	data, sizes, frames := recordPartial(t, 300, 7)
	rng := rand.New(rand.NewPCG(4, 2))
	name := "video2026-03-17-13-24-38.mkv"
	for i := 0; i < 1000; i++ {
		cut := rng.Int64N(int64(len(data)) + 1)
		want := int64(0)
		for k, s := range sizes {
			if s <= cut {
				want = frames[k]
			}
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name+PartialSuffix), data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30})
		segs := r.Catalog().List()
		if want == 0 {
			if len(segs) != 0 {
				t.Fatalf("cut at %d: nothing complete, yet catalog %+v", cut, segs)
			}
			continue
		}
		if len(segs) != 1 || segs[0].Name != name || segs[0].Frames != want {
			t.Fatalf("cut at %d of %d: catalog %+v, want %s with %d frames", cut, len(data), segs, name, want)
		}
		f, _ := os.Open(filepath.Join(dir, name))
		fi, _ := f.Stat()
		_, got, err := infoMKV(f, fi.Size(), t0)
		cues, _, cerr := ReadCues(f, fi.Size())
		f.Close()
		if err != nil || got != want || cerr != nil || len(cues) == 0 {
			t.Fatalf("cut at %d: repaired file says %d frames (%v), cues %d (%v); want %d", cut, got, err, len(cues), cerr, want)
		}
		if i%100 == 0 {
			probeFrames(t, filepath.Join(dir, name), int(want))
		}
	}
}

func TestRepairMJPEG(t *testing.T) {
	dir := t.TempDir()
	var data []byte
	for i := 0; i < 5; i++ {
		data = append(data, jpegFrame(t, i, t0).JPEG...)
	}
	cut := len(data) - 100
	name := "video2026-03-17-13-24-38.mjpeg"
	os.WriteFile(filepath.Join(dir, name+PartialSuffix), data[:cut], 0o644)
	r := newRecorder(t, Config{Dir: dir, Container: "mjpeg", Segment: time.Hour, MaxBytes: 1 << 30})
	segs := r.Catalog().List()
	if len(segs) != 1 || segs[0].Frames != 4 || segs[0].Name != name {
		t.Fatalf("catalog %+v, want %s with 4 frames", segs, name)
	}
	probeFrames(t, filepath.Join(dir, name), 4)
}

func TestForeignFilesReported(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "unicam.conf"), []byte("fps=5\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "lost+found"), 0o700)
	var logs bytes.Buffer
	r, err := New(Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30, Logger: log.New(&logs, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Catalog().Foreign(); len(got) != 2 {
		t.Errorf("Foreign = %v", got)
	}
	if !bytes.Contains(logs.Bytes(), []byte("not recordings and are left alone")) {
		t.Errorf("log: %s", logs.String())
	}
}

func FuzzRepairMKV(f *testing.F) {
	data, _, _ := recordPartialF(f)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		mf := &memFile{b: append([]byte(nil), b...)}
		c, err := repairMKV(mf, int64(len(b)), t0)
		if err != nil {
			return
		}
		if err := c.close(); err != nil {
			t.Fatalf("close after repair: %v", err)
		}
		_, frames, err := infoMKV(mf, int64(len(mf.b)), t0)
		if err != nil || frames != c.frameCount() {
			t.Fatalf("repaired file: %d frames (%v), writer says %d", frames, err, c.frameCount())
		}
	})
}

// recordPartialF builds a small unfinished segment in memory for the fuzz
// seed corpus.
func recordPartialF(f *testing.F) ([]byte, int, int) {
	mf := &memFile{}
	c, err := createMKV(mf, t0, 64, 48)
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		c.add(t0.Add(time.Duration(i)*100*time.Millisecond), jpegFrame(f, i, t0).JPEG)
		if i%2 == 1 {
			c.flush()
		}
	}
	return mf.b, 0, 0
}

// memFile is an in-memory File.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if end := m.off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.off:], p)
	m.off += int64(len(p))
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.off = off
	case io.SeekCurrent:
		m.off += off
	case io.SeekEnd:
		m.off = int64(len(m.b)) + off
	}
	return m.off, nil
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memFile) Truncate(n int64) error {
	if n < int64(len(m.b)) {
		m.b = m.b[:n]
	}
	return nil
}
func (m *memFile) Sync() error  { return nil }
func (m *memFile) Close() error { return nil }

func TestReadFramesSeeks(t *testing.T) {
	r := newRecorder(t, Config{Segment: time.Hour, MaxBytes: 1 << 30})
	feed(t, r, 600, 10) // 60 s, a cluster per second
	seg := r.Catalog().List()[0]
	f, err := os.Open(filepath.Join(r.cfg.Dir, seg.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []int64
	err = ReadFrames(f, seg.Size, 42_350, func(ms int64, jpeg []byte) bool {
		if len(jpeg) < 100 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
			t.Errorf("frame at %d ms is not a JPEG", ms)
		}
		got = append(got, ms)
		return len(got) < 3
	})
	if err != nil || len(got) != 3 || got[0] != 42_400 || got[2] != 42_600 {
		t.Errorf("ReadFrames from 42.35 s = %v, %v; want 42400, 42500, 42600", got, err)
	}
}
