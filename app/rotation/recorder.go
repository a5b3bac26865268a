// Package rotation turns frames into segment files in the data directory:
// Matroska (or raw MJPEG) files of a configured length, written so a
// crash loses at most the last flush interval, and kept under a hard byte
// cap (plus count, age and free-space limits) by deleting the oldest first.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"unicam/app/capture"
)

// errNoRoom means the limits leave no room even after deleting every
// finished segment.
var errNoRoom = errors.New("no room under the recording limits with no finished segment left to delete")

// Recorder writes frames into segments. Run it from one goroutine; use
// Catalog and the counters from any.
type Recorder struct {
	cfg    Config
	format format
	root   *os.Root
	fs     FS
	cat    Catalog
	log    *log.Logger
	seg    *openSegment
	now    func() time.Time
	// Dropped counts frames lost because no room could be made or a write
	// failed; Failures counts segments ended by an I/O error.
	dropped, failures atomic.Int64
	lastErr           atomic.Pointer[string]
	// tick is when Run's loop last went round (unix ns): the heartbeat.
	tick atomic.Int64
	// openFails counts segments that could not be opened in a row, and
	// retryAt is when the next may be tried: a disk gone read-only or
	// full is retried with backoff, not once per frame.
	openFails int
	retryAt   time.Time
}

// Backoff of segment opens after a failure.
const (
	openRetryMin = time.Second
	openRetryMax = 30 * time.Second
)

type openSegment struct {
	f       File
	c       container
	name    string // final name, without PartialSuffix
	start   time.Time
	end     time.Time
	pending []*capture.Frame // frames in the cluster not yet on disk
	// named means the directory entry of the .partial file is on disk.
	named bool
}

// New checks cfg, opens the data directory and rebuilds the catalog from
// it, repairing segments a crash left as .partial.
func New(cfg Config) (*Recorder, error) {
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 500 * time.Millisecond
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Container == "" {
		cfg.Container = "mkv"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	r := &Recorder{cfg: cfg, format: formats[cfg.Container], root: root, fs: cfg.FS, log: cfg.Logger, now: time.Now}
	if r.log == nil {
		r.log = log.Default()
	}
	if r.fs == nil {
		r.fs = dirFS{root: root, dir: cfg.Dir}
	}
	if err := r.scan(); err != nil {
		root.Close()
		return nil, err
	}
	return r, nil
}

// Catalog is the live list of segments.
func (r *Recorder) Catalog() *Catalog { return &r.cat }

// Root is the data directory, for serving segment files.
func (r *Recorder) Root() *os.Root { return r.root }

// Dropped is the number of frames lost to full limits or failed writes.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Failures is the number of segments ended early by an I/O error.
func (r *Recorder) Failures() int64 { return r.failures.Load() }

// LastError is the most recent recording error, or "".
func (r *Recorder) LastError() string {
	if p := r.lastErr.Load(); p != nil {
		return *p
	}
	return ""
}

func (r *Recorder) report(err error) {
	r.remember(err)
	r.log.Printf("rotation: %v", err)
}

func (r *Recorder) remember(err error) error {
	s := err.Error()
	r.lastErr.Store(&s)
	return err
}

// Run records frames until ctx ends or frames closes, then finishes the
// open segment.
func (r *Recorder) Run(ctx context.Context, frames <-chan *capture.Frame) error {
	tick := time.NewTicker(r.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.closeSegment()
		case f, ok := <-frames:
			if !ok {
				return r.closeSegment()
			}
			if err := r.write(f); err != nil {
				r.report(err)
			}
		case <-tick.C:
			r.tick.Store(time.Now().UnixNano())
			if err := r.flush(); err != nil {
				r.report(err)
			}
			if err := r.persist(); err != nil {
				r.report(err)
			}
			if err := r.expire(); err != nil {
				r.report(err)
			}
		}
	}
}

// Alive reports whether Run's loop went round within d: the heartbeat the
// runtime's watchdog guard waits for.
func (r *Recorder) Alive(d time.Duration) bool {
	return time.Since(time.Unix(0, r.tick.Load())) < d
}

// Close releases the data directory. Run must have returned.
func (r *Recorder) Close() error { return r.root.Close() }

func (r *Recorder) write(f *capture.Frame) error {
	if r.seg != nil && (!f.Time.Before(r.seg.end) || r.full(len(f.JPEG))) {
		if err := r.closeSegment(); err != nil {
			return err
		}
	}
	if r.seg == nil {
		// A clock set back (NTP at boot) must not postpone the next try
		// by more than the backoff itself.
		if f.Time.Before(r.retryAt) && r.retryAt.Sub(f.Time) <= openRetryMax {
			r.dropped.Add(1)
			f.Release()
			return nil
		}
		if err := r.openSegment(f); err != nil {
			r.dropped.Add(1)
			f.Release()
			wait := min(openRetryMin<<min(r.openFails, 5), openRetryMax)
			r.openFails++
			r.retryAt = f.Time.Add(wait)
			return fmt.Errorf("%w (frames are dropped until the next try in %v)", err, wait)
		}
		r.openFails, r.retryAt = 0, time.Time{}
	}
	if r.seg.c.needsCut(f.Time) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	r.seg.c.add(f.Time, f.JPEG)
	r.seg.pending = append(r.seg.pending, f)
	if r.seg.c.pending() >= maxClusterBytes {
		return r.flush()
	}
	return nil
}

// persist fsyncs the open segment, and once its directory entry, so a
// power loss costs at most the frames of the last flush interval. A failed
// fsync ends the segment as .partial (see failSync).
func (r *Recorder) persist() error {
	if r.seg == nil {
		return nil
	}
	if !r.seg.named {
		if err := r.syncDir(); err != nil {
			return fmt.Errorf("segment %s: fsync data directory: %w", r.seg.name, err)
		}
		r.seg.named = true
	}
	if err := r.seg.f.Sync(); err != nil {
		return r.failSync(err)
	}
	return nil
}

// maxClusterBytes makes a cluster go to disk early when frames are large.
const maxClusterBytes = 4 << 20

// full reports whether n more bytes would pass SegmentBytes.
func (r *Recorder) full(n int) bool {
	c := r.seg.c
	return r.cfg.SegmentBytes > 0 && c.size()+c.pending()+c.reserve()+int64(n)+64 > r.cfg.SegmentBytes && c.frameCount()+int64(len(r.seg.pending)) > 0
}

// flush writes the pending frames, making room under the limits first.
// When only the open segment is left to give room, it is closed and the
// pending frames start a new one.
func (r *Recorder) flush() error {
	if r.seg == nil || r.seg.c.pending() == 0 {
		return nil
	}
	err := r.makeRoom(r.seg.c.pending() + r.seg.c.reserve())
	if errors.Is(err, errNoRoom) && r.seg.c.frameCount() > 0 {
		return r.restartWithPending()
	}
	if err != nil {
		r.dropPending(err)
		return err
	}
	if err := r.seg.c.flush(); err != nil {
		return r.failSegment(err)
	}
	release(r.seg)
	r.cat.update(r.seg.name+PartialSuffix, r.current())
	return nil
}

// restartWithPending closes the open segment without its pending frames
// and records them into a new segment.
func (r *Recorder) restartWithPending() error {
	frames := r.seg.pending
	r.seg.pending = nil
	r.seg.c.discard()
	if err := r.closeSegment(); err != nil {
		return err
	}
	for _, f := range frames {
		if err := r.write(f); err != nil {
			return err
		}
	}
	return r.flush()
}

func (r *Recorder) dropPending(err error) {
	r.dropped.Add(int64(len(r.seg.pending)))
	r.log.Printf("rotation: dropped %d frames of %s: %v", len(r.seg.pending), r.seg.name, err)
	release(r.seg)
	r.seg.c.discard()
}

// release hands back the segment's pending frames once they are on disk
// or dropped; their buffers are then reused for later pictures.
func release(s *openSegment) {
	for _, f := range s.pending {
		f.Release()
	}
	s.pending = s.pending[:0]
}

func (r *Recorder) current() Segment {
	return Segment{Name: r.seg.name + PartialSuffix, Start: r.seg.start, End: r.seg.c.end(),
		Frames: r.seg.c.frameCount(), Size: r.seg.c.size(), Recording: true}
}

func (r *Recorder) openSegment(f *capture.Frame) error {
	if err := r.makeRoom(headerMax + cueBytes + closeOverhead); err != nil {
		return fmt.Errorf("open segment: %w", err)
	}
	start := f.Time.In(r.cfg.Location)
	name, file, err := r.createFree(start)
	if err != nil {
		return err
	}
	c, err := r.format.create(file, start, f.Width, f.Height)
	if err != nil {
		file.Close()
		r.root.Remove(name + PartialSuffix)
		return fmt.Errorf("write header of %s: %w", name, err)
	}
	r.seg = &openSegment{f: file, c: c, name: name, start: start,
		end: segmentEnd(start, r.cfg.Segment, r.cfg.Align, r.cfg.Location)}
	r.cat.add(r.current())
	r.log.Printf("rotation: recording %s", name)
	return nil
}

// createFree creates the .partial file for the first free name at start.
func (r *Recorder) createFree(start time.Time) (string, File, error) {
	for n := 0; n < 1000; n++ {
		name := SegmentName(start, n, r.format.ext)
		if _, err := r.root.Stat(name); err == nil {
			continue
		}
		f, err := r.fs.Create(name + PartialSuffix)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create segment %s: %w", name, err)
		}
		return name, f, nil
	}
	return "", nil, fmt.Errorf("create segment at %s: %w", start, os.ErrExist)
}

// closeSegment finishes the open segment: index, fsync, rename into place,
// fsync the directory.
func (r *Recorder) closeSegment() error {
	s := r.seg
	if s == nil {
		return nil
	}
	if len(s.pending) > 0 {
		if err := r.makeRoom(s.c.pending() + s.c.reserve()); err != nil {
			r.dropPending(err)
		}
	}
	if err := s.c.close(); err != nil {
		return r.failSegment(err)
	}
	if err := s.f.Sync(); err != nil {
		return r.failSync(err)
	}
	if err := s.f.Close(); err != nil {
		return r.failSync(fmt.Errorf("close: %w", err))
	}
	if err := r.root.Rename(s.name+PartialSuffix, s.name); err != nil {
		return r.failSync(fmt.Errorf("rename into place: %w", err))
	}
	r.seg = nil
	release(s)
	r.cat.update(s.name+PartialSuffix, Segment{Name: s.name, Start: s.start, End: s.c.end(), Frames: s.c.frameCount(), Size: s.c.size()})
	if err := r.syncDir(); err != nil {
		return fmt.Errorf("segment %s: fsync data directory: %w", s.name, err)
	}
	r.log.Printf("rotation: finished %s (%d frames, %d bytes)", s.name, s.c.frameCount(), s.c.size())
	return nil
}

// failSegment ends the open segment after a failed write: what reached
// the file is cut back to its last complete cluster, indexed if there is
// room, and renamed into place, so it stays playable. The next frame
// starts a new segment.
func (r *Recorder) failSegment(cause error) error {
	s := r.seg
	r.seg = nil
	r.failures.Add(1)
	r.dropped.Add(int64(len(s.pending)))
	release(s)
	err := fmt.Errorf("segment %s ended early: %w", s.name, cause)
	size, ferr := r.finishBroken(s)
	if errors.Is(cause, syscall.ENOSPC) {
		// The disk filled below our limits (other files, or limits larger
		// than the disk): make room the only way we may, oldest first.
		if old, ok := r.cat.oldestClosed(); ok {
			if derr := r.delete(old, "a full disk"); derr != nil {
				r.log.Printf("rotation: %v", derr)
			}
		}
	}
	if ferr != nil {
		r.cat.update(s.name+PartialSuffix, Segment{Name: s.name + PartialSuffix, Start: s.start, Size: size})
		return r.remember(fmt.Errorf("%w; left as %s for repair at the next start: %w", err, s.name+PartialSuffix, ferr))
	}
	seg := Segment{Name: s.name, Start: s.start, Size: size}
	if fi, err := r.root.Stat(s.name); err == nil {
		seg.Size = fi.Size()
	}
	r.cat.update(s.name+PartialSuffix, seg)
	return r.remember(err)
}

// finishBroken repairs a segment whose last write failed, as a crash
// recovery would, and renames it into place.
func (r *Recorder) finishBroken(s *openSegment) (int64, error) {
	defer s.f.Close()
	size, err := s.f.Seek(0, 2)
	if err != nil {
		return 0, err
	}
	c, err := r.format.repair(s.f, size, s.start)
	if err != nil {
		return size, err
	}
	if err := c.close(); err != nil {
		// No room for the index: the clusters alone still play.
		if c, err = r.format.repair(s.f, size, s.start); err != nil {
			return size, err
		}
	}
	if err := s.f.Sync(); err != nil {
		return c.size(), err
	}
	if err := r.root.Rename(s.name+PartialSuffix, s.name); err != nil {
		return c.size(), err
	}
	return c.size(), r.syncDir()
}

// failSync reports a failed fsync: the kernel may have dropped the data,
// so the segment is not declared finished; it stays .partial and is
// checked by the repair at the next start. The fsync is never retried.
func (r *Recorder) failSync(cause error) error {
	s := r.seg
	r.seg = nil
	r.failures.Add(1)
	release(s)
	s.f.Close()
	r.cat.update(s.name+PartialSuffix, Segment{Name: s.name + PartialSuffix, Start: s.start, Size: s.c.size()})
	return r.remember(fmt.Errorf("segment %s: fsync failed, left as %s: %w", s.name, s.name+PartialSuffix, cause))
}

func (r *Recorder) syncDir() error {
	d, err := r.root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
