package rotation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"unicam/app/capture"
)

func TestSegmentEndAlignment(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		start string
		d     time.Duration
		want  string
	}{
		{"2026-03-17 13:24:38", time.Hour, "2026-03-17 14:00:00"},
		{"2026-03-17 13:24:38", 15 * time.Minute, "2026-03-17 13:30:00"},
		{"2026-03-17 13:24:38", 24 * time.Hour, "2026-03-18 00:00:00"},
		{"2026-03-17 13:24:38", 168 * time.Hour, "2026-03-23 00:00:00"}, // next Monday
		{"2026-03-29 01:30:00", time.Hour, "2026-03-29 03:00:00"},       // clocks go forward at 02:00
		{"2026-03-29 01:30:00", 24 * time.Hour, "2026-03-30 00:00:00"},  // a 23-hour day
	} {
		got := segmentEnd(at(tc.start), tc.d, true, berlin)
		if !got.Equal(at(tc.want)) {
			t.Errorf("segmentEnd(%s, %v) = %s, want %s", tc.start, tc.d, got.In(berlin), tc.want)
		}
	}
	if got := segmentEnd(at("2026-03-17 13:24:38"), time.Hour, false, berlin); !got.Equal(at("2026-03-17 14:24:38")) {
		t.Errorf("unaligned end %s", got)
	}
	bad := Config{Dir: "x", Segment: 7 * time.Minute, Align: true, MaxBytes: 1 << 20}
	if err := bad.Validate(); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "align") {
		t.Errorf("7m aligned: %v", err)
	}
}

func TestAlignedSegmentsStartOnTheMinute(t *testing.T) {
	r := newRecorder(t, Config{Segment: time.Minute, Align: true, MaxBytes: 1 << 30})
	feed(t, r, 1500, 10) // 13:24:38 + 150 s
	var names []string
	for _, s := range r.Catalog().List() {
		names = append(names, s.Name)
	}
	want := "video2026-03-17-13-27-00.mkv video2026-03-17-13-26-00.mkv video2026-03-17-13-25-00.mkv video2026-03-17-13-24-38.mkv"
	if strings.Join(names, " ") != want {
		t.Errorf("aligned segments %v", names)
	}
}

func TestSegmentBytesCutsSegments(t *testing.T) {
	r := newRecorder(t, Config{Segment: time.Hour, SegmentBytes: 100 << 10, MaxBytes: 1 << 30})
	feed(t, r, 200, 10)
	segs := r.Catalog().List()
	if len(segs) < 3 {
		t.Fatalf("%d segments; want cuts at 100 KiB", len(segs))
	}
	var frames int64
	for _, s := range segs {
		if s.Size > 100<<10 {
			t.Errorf("%s is %d bytes, over segment-bytes", s.Name, s.Size)
		}
		frames += s.Frames
	}
	if frames != 200 {
		t.Errorf("%d frames across segments, want 200", frames)
	}
}

func TestMaxSegmentsAndMaxAge(t *testing.T) {
	r := newRecorder(t, Config{Segment: 2 * time.Second, MaxSegments: 3, MaxBytes: 1 << 30})
	feed(t, r, 200, 10)
	if n := r.Catalog().Len(); n != 3 {
		t.Errorf("%d segments kept, want max-segments 3", n)
	}
	r2 := newRecorder(t, Config{Segment: 2 * time.Second, MaxAge: 5 * time.Second, MaxBytes: 1 << 30})
	feed(t, r2, 200, 10) // 20 s of video ending at t0+20s
	r2.now = func() time.Time { return t0.Add(20 * time.Second) }
	if err := r2.expire(); err != nil {
		t.Fatal(err)
	}
	for _, s := range r2.Catalog().List() {
		if s.End.Before(t0.Add(15 * time.Second)) {
			t.Errorf("%s ended %v, older than max-age", s.Name, s.End)
		}
	}
	if n := r2.Catalog().Len(); n < 2 || n > 4 {
		t.Errorf("%d segments left after max-age", n)
	}
}

// fakeFS reports free space as what a real disk of cap bytes would have,
// counting the segment files and a foreign file.
type fakeFS struct {
	dirFS
	diskCap, foreign int64
}

func (f fakeFS) Free() (uint64, uint64, error) {
	used := f.foreign + dirBytesNoT(f.dir)
	return uint64(max(f.diskCap-used, 0)), uint64(f.diskCap), nil
}

func dirBytesNoT(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func TestMinFreeCountsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	ffs := fakeFS{dirFS: dirFS{root: root, dir: dir}, diskCap: 2 << 20, foreign: 1 << 20}
	r := newRecorder(t, Config{Dir: dir, Segment: 2 * time.Second, MaxBytes: 1 << 30, MinFree: Space{Percent: 25}, FS: ffs})
	feed(t, r, 600, 10)
	avail, total, _ := ffs.Free()
	if avail < total/4 {
		t.Errorf("%d of %d bytes free, want at least 25%%", avail, total)
	}
	if r.Catalog().Len() < 2 {
		t.Errorf("%d segments kept", r.Catalog().Len())
	}
}

// faultFile fails writes once the file would pass failAt bytes, and fails
// Sync when syncErr is set: ENOSPC and EIO as a disk gives them.
type faultFile struct {
	*os.File
	failAt  int64
	err     error
	syncErr error
}

func (f *faultFile) Write(p []byte) (int, error) {
	off, _ := f.File.Seek(0, 1)
	if f.failAt > 0 && off+int64(len(p)) > f.failAt {
		// A real ENOSPC may leave a short write behind.
		n, _ := f.File.Write(p[:max(f.failAt-off, 0)/2])
		return n, f.err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if f.syncErr != nil {
		return f.syncErr
	}
	return f.File.Sync()
}

type faultFS struct {
	dirFS
	n      int
	failAt int64
	err    error
	sync   error
}

func (f *faultFS) Create(name string) (File, error) {
	file, err := f.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	f.n++
	if f.n == 1 {
		return &faultFile{File: file, failAt: f.failAt, err: f.err, syncErr: f.sync}, nil
	}
	return file, nil
}

func TestFailedWriteEndsSegmentCleanly(t *testing.T) {
	for _, e := range []error{syscall.ENOSPC, syscall.EIO} {
		t.Run(e.Error(), func(t *testing.T) {
			dir := t.TempDir()
			root, _ := os.OpenRoot(dir)
			defer root.Close()
			ffs := &faultFS{dirFS: dirFS{root: root, dir: dir}, failAt: 40 << 10, err: e}
			r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30, FS: ffs})
			for i := 0; i < 100; i++ {
				r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond)))
				if i%10 == 9 {
					r.flush()
				}
			}
			r.closeSegment()
			segs := r.Catalog().List()
			if len(segs) != 2 || r.Failures() != 1 {
				t.Fatalf("segments %+v, failures %d; want the broken one ended and a new one", segs, r.Failures())
			}
			broken := segs[1]
			if strings.HasSuffix(broken.Name, PartialSuffix) {
				t.Fatalf("broken segment left as %s", broken.Name)
			}
			probeFrames(t, filepath.Join(dir, broken.Name), countFrames(t, filepath.Join(dir, broken.Name)))
			probeFrames(t, filepath.Join(dir, segs[0].Name), int(segs[0].Frames))
			if !strings.Contains(r.LastError(), e.Error()) {
				t.Errorf("LastError = %q", r.LastError())
			}
		})
	}
}

func TestFailedSyncIsNotRetried(t *testing.T) {
	dir := t.TempDir()
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	ffs := &faultFS{dirFS: dirFS{root: root, dir: dir}, sync: syscall.EIO}
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30, FS: ffs})
	for i := 0; i < 20; i++ {
		r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond)))
	}
	err := r.closeSegment()
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "fsync failed") {
		t.Fatalf("closeSegment = %v, want the fsync failure reported", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "video2026-03-17-13-24-38.mkv"+PartialSuffix)); err != nil {
		t.Errorf("segment after a failed fsync must stay .partial: %v", err)
	}
}

func TestMJPEGContainer(t *testing.T) {
	r := newRecorder(t, Config{Container: "mjpeg", Segment: 5 * time.Second, MaxBytes: 1 << 30})
	feed(t, r, 80, 10)
	segs := r.Catalog().List()
	if len(segs) != 2 || !strings.HasSuffix(segs[0].Name, ".mjpeg") {
		t.Fatalf("segments %+v", segs)
	}
	probeFrames(t, filepath.Join(r.cfg.Dir, segs[1].Name), 50)
	if _, err := New(Config{Dir: t.TempDir(), Container: "avi2", Segment: time.Hour, MaxBytes: 1 << 20}); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "avi, mjpeg, mkv") {
		t.Errorf("unknown container: %v", err)
	}
}

// syncCounter counts fsyncs of the files it creates.
type syncCounter struct {
	dirFS
	syncs atomic.Int64
}

type countedFile struct {
	*os.File
	n *atomic.Int64
}

func (f countedFile) Sync() error { f.n.Add(1); return f.File.Sync() }

func (s *syncCounter) Create(name string) (File, error) {
	f, err := s.dirFS.Create(name)
	if err != nil {
		return nil, err
	}
	return countedFile{f.(*os.File), &s.syncs}, nil
}

// TestOpenSegmentFsyncedEveryFlush checks the power-loss promise: the
// open segment is fsynced on every flush tick, not only when it closes.
func TestOpenSegmentFsyncedEveryFlush(t *testing.T) {
	dir := t.TempDir()
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	fs := &syncCounter{dirFS: dirFS{root: root, dir: dir}}
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30, FlushInterval: 20 * time.Millisecond, FS: fs})
	frames := make(chan *capture.Frame)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), frames) }()
	for i := range 30 {
		frames <- jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond))
		time.Sleep(10 * time.Millisecond)
	}
	open := fs.syncs.Load()
	close(frames)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if open < 3 {
		t.Errorf("the open segment was fsynced %d times in ~300 ms of 20 ms flushes, want several", open)
	}
}

// roFS is a data directory that refuses new files, as ext4 does once its
// journal has aborted, until ok is set.
type roFS struct {
	dirFS
	ok      bool
	creates int
}

func (f *roFS) Create(name string) (File, error) {
	f.creates++
	if !f.ok {
		return nil, &os.PathError{Op: "openat", Path: name, Err: syscall.EROFS}
	}
	return f.dirFS.Create(name)
}

// TestOpenFailuresBackOff: while no segment can be created, the recorder
// tries again after 1, 2, 4… s (not once per frame), drops and counts
// the frames between, releases them to their pool, and records again
// once the disk takes files.
func TestOpenFailuresBackOff(t *testing.T) {
	dir := t.TempDir()
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	fs := &roFS{dirFS: dirFS{root: root, dir: dir}}
	r := newRecorder(t, Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 30, FS: fs})
	pool := &capture.FramePool{Poison: true}
	at := func(i int) *capture.Frame {
		f := jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond))
		p := pool.Get(f.JPEG)
		p.Time, p.Width, p.Height = f.Time, f.Width, f.Height
		return p
	}
	var errs, kept int
	for i := range 100 { // 10 s at 10 fps
		f := at(i)
		if r.write(f) != nil {
			errs++
		}
		if f.JPEG[0] != 0xA5 { // the pool poisons what comes back to it
			kept++
		}
	}
	// Tries at 0, 1, 3 and 7 s.
	if fs.creates != 4 || errs != 4 || r.Dropped() != 100 {
		t.Fatalf("10 s on a read-only disk: %d creates, %d errors, %d dropped; want 4, 4, 100", fs.creates, errs, r.Dropped())
	}
	if kept != 0 {
		t.Errorf("%d dropped frames not released to their pool", kept)
	}
	// The clock set back an hour (NTP at boot) does not postpone the
	// next try by that hour.
	early := jpegFrame(t, 0, t0.Add(-time.Hour))
	r.write(early)
	if fs.creates != 5 {
		t.Errorf("a frame an hour older than the last try: %d creates, want a new try (5)", fs.creates)
	}
	r.retryAt = time.Time{}
	fs.ok = true
	for i := 100; i < 200; i++ {
		r.write(at(i))
	}
	r.closeSegment()
	if segs := r.Catalog().List(); len(segs) != 1 || segs[0].Frames < 40 {
		t.Fatalf("after the disk took files again: %+v, want one segment recording from the next try (15 s) on", segs)
	}
}
