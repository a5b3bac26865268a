// Package rotation turns frames into fixed-length Matroska segment files in
// the data directory and keeps their total size under a hard cap by
// deleting the oldest segments first.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"strings"
	"time"

	"unicam/app/capture"
)

// Errors reported by the recorder; wrapped with the file or key concerned.
var (
	ErrBadConfig = errors.New("bad recording setting")
	errNoRoom    = errors.New("byte cap reached with no finished segment left to delete")
)

// Config is what the recorder needs to know.
type Config struct {
	// Dir is the data directory that holds the segments.
	Dir string
	// Segment is the length of one recording file.
	Segment time.Duration
	// MaxBytes caps the total size of all segments; it is never exceeded.
	MaxBytes int64
	// FlushInterval bounds how much video is only in memory (default 1s).
	FlushInterval time.Duration
	// Location names files in this time zone (default time.Local).
	Location *time.Location
	// Logger receives one line per segment event; nil means log.Default().
	Logger *log.Logger
}

// minMaxBytes is the smallest cap that leaves room for a header and a
// cluster of small frames.
const minMaxBytes = 64 << 10

// maxClusterBytes makes a cluster go to disk early when frames are large.
const maxClusterBytes = 4 << 20

// Validate names the first setting that cannot work, and what would.
func (c *Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("data directory: %w: empty (set -data)", ErrBadConfig)
	case c.Segment < time.Second:
		return fmt.Errorf("segment %v: %w: want at least 1s, e.g. 10m, 1h, 24h", c.Segment, ErrBadConfig)
	case c.MaxBytes < minMaxBytes:
		return fmt.Errorf("max-bytes %d: %w: want at least %d (64KiB)", c.MaxBytes, ErrBadConfig, minMaxBytes)
	case c.FlushInterval < 0:
		return fmt.Errorf("flush interval %v: %w: want a positive duration", c.FlushInterval, ErrBadConfig)
	}
	return nil
}

// Recorder writes frames into segments. Run it from one goroutine; use
// Catalog from any.
type Recorder struct {
	cfg  Config
	root *os.Root
	cat  Catalog
	log  *log.Logger
	seg  *openSegment
	// Dropped counts frames lost because the cap left no room.
	dropped int64
}

type openSegment struct {
	f       *os.File
	mkv     *mkvWriter
	name    string // final name, without PartialSuffix
	start   time.Time
	end     time.Time
	pending []*capture.Frame // frames in the cluster not yet on disk
}

// New checks cfg, opens the data directory and rebuilds the catalog from
// it, recovering segments a crash left as .partial.
func New(cfg Config) (*Recorder, error) {
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
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
	r := &Recorder{cfg: cfg, root: root, log: cfg.Logger}
	if r.log == nil {
		r.log = log.Default()
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

// scan rebuilds the catalog from the directory, never from a saved index.
func (r *Recorder) scan() error {
	entries, err := fs.ReadDir(r.root.FS(), ".")
	if err != nil {
		return fmt.Errorf("read data directory %s: %w", r.cfg.Dir, err)
	}
	var segs []Segment
	for _, e := range entries {
		p, ok := ParseName(e.Name(), r.cfg.Location)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		if p.Partial {
			if name, err = r.recover(name); err != nil {
				r.log.Printf("rotation: recover %s: %v (left as it is)", e.Name(), err)
				continue
			}
		}
		fi, err := r.root.Stat(name)
		if err != nil {
			return fmt.Errorf("stat segment %s: %w", name, err)
		}
		segs = append(segs, Segment{Name: name, Start: p.Start, Size: fi.Size()})
	}
	r.cat.set(segs)
	return nil
}

// recover makes a segment a crash left behind a normal one. Every cluster
// on disk was written whole and the segment size is "unknown", so the file
// is playable as it is; only the name changes.
func (r *Recorder) recover(partial string) (string, error) {
	final := strings.TrimSuffix(partial, PartialSuffix)
	if _, err := r.root.Stat(final); err == nil {
		return "", fmt.Errorf("%s already exists", final)
	}
	if err := r.root.Rename(partial, final); err != nil {
		return "", err
	}
	if err := r.syncDir(); err != nil {
		return "", err
	}
	r.log.Printf("rotation: recovered %s after an unclean stop", final)
	return final, nil
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
				r.log.Printf("rotation: %v", err)
			}
		case <-tick.C:
			if err := r.flush(); err != nil {
				r.log.Printf("rotation: %v", err)
			}
		}
	}
}

// Close releases the data directory. Run must have returned.
func (r *Recorder) Close() error { return r.root.Close() }

func (r *Recorder) write(f *capture.Frame) error {
	if r.seg != nil && !f.Time.Before(r.seg.end) {
		if err := r.closeSegment(); err != nil {
			return err
		}
	}
	if r.seg == nil {
		if err := r.openSegment(f); err != nil {
			return err
		}
	}
	if r.seg.mkv.needsCut(f.Time) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	r.seg.mkv.add(f.Time, f.JPEG)
	r.seg.pending = append(r.seg.pending, f)
	if r.seg.mkv.pending() >= maxClusterBytes {
		return r.flush()
	}
	return nil
}

// flush writes the pending cluster, making room under the cap first. When
// only the open segment is left to give room, it is closed and the pending
// frames start a new one.
func (r *Recorder) flush() error {
	if r.seg == nil || r.seg.mkv.pending() == 0 {
		return nil
	}
	err := r.makeRoom(r.seg.mkv.pending() + r.seg.mkv.reserve())
	if errors.Is(err, errNoRoom) && len(r.seg.pending) > 0 && r.seg.mkv.cues != nil {
		return r.restartWithPending()
	}
	if err != nil {
		r.dropPending(err)
		return err
	}
	if err := r.seg.mkv.flush(); err != nil {
		return r.failSegment(err)
	}
	r.seg.pending = r.seg.pending[:0]
	r.cat.update(r.seg.name+PartialSuffix, r.current())
	return nil
}

// restartWithPending closes the open segment without its pending cluster
// and records those frames into a new segment.
func (r *Recorder) restartWithPending() error {
	frames := r.seg.pending
	r.seg.pending = nil
	r.seg.mkv.hasCluster = false
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
	r.dropped += int64(len(r.seg.pending))
	r.log.Printf("rotation: dropped %d frames of %s: %v", len(r.seg.pending), r.seg.name, err)
	r.seg.pending = r.seg.pending[:0]
	r.seg.mkv.hasCluster = false
}

// makeRoom deletes the oldest finished segments until need more bytes fit
// under the cap.
func (r *Recorder) makeRoom(need int64) error {
	for r.cat.TotalBytes()+need > r.cfg.MaxBytes {
		old, ok := r.cat.oldestClosed()
		if !ok {
			return fmt.Errorf("need %d bytes under max-bytes %d: %w", need, r.cfg.MaxBytes, errNoRoom)
		}
		if err := r.root.Remove(old.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete oldest segment %s: %w", old.Name, err)
		}
		r.cat.remove(old.Name)
		r.log.Printf("rotation: deleted %s (%d bytes) to stay under %d bytes", old.Name, old.Size, r.cfg.MaxBytes)
	}
	return nil
}

func (r *Recorder) current() Segment {
	return Segment{Name: r.seg.name + PartialSuffix, Start: r.seg.start.Truncate(time.Second), Size: r.seg.mkv.size, Recording: true}
}

// headerRoom bounds the bytes a new segment's header takes.
const headerRoom = 512

func (r *Recorder) openSegment(f *capture.Frame) error {
	if err := r.makeRoom(headerRoom + cueBytes + closeOverhead); err != nil {
		return fmt.Errorf("open segment: %w", err)
	}
	start := f.Time.In(r.cfg.Location)
	name, file, err := r.createFree(start)
	if err != nil {
		return err
	}
	m, err := newMKVWriter(file, start, f.Width, f.Height)
	if err != nil {
		file.Close()
		r.root.Remove(name + PartialSuffix)
		return fmt.Errorf("write header of %s: %w", name, err)
	}
	r.seg = &openSegment{f: file, mkv: m, name: name, start: start, end: start.Add(r.cfg.Segment)}
	r.cat.add(r.current())
	r.log.Printf("rotation: recording %s", name)
	return nil
}

// createFree creates the .partial file for the first free name at start.
func (r *Recorder) createFree(start time.Time) (string, *os.File, error) {
	for n := 0; n < 1000; n++ {
		name := SegmentName(start, n)
		if _, err := r.root.Stat(name); err == nil {
			continue
		}
		f, err := r.root.OpenFile(name+PartialSuffix, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create segment %s: %w", name, err)
		}
		return name, f, nil
	}
	return "", nil, fmt.Errorf("create segment at %s: %w", start, fs.ErrExist)
}

// closeSegment finishes the open segment: cues, fsync, rename into place,
// fsync the directory. A failure leaves the .partial for recovery.
func (r *Recorder) closeSegment() error {
	s := r.seg
	if s == nil {
		return nil
	}
	if len(s.pending) > 0 {
		if err := r.makeRoom(s.mkv.pending() + s.mkv.reserve()); err != nil {
			r.dropPending(err)
		}
	}
	if err := s.mkv.close(); err != nil {
		return r.failSegment(err)
	}
	if err := s.f.Sync(); err != nil {
		return r.failSegment(fmt.Errorf("fsync: %w", err))
	}
	if err := s.f.Close(); err != nil {
		return r.failSegment(fmt.Errorf("close: %w", err))
	}
	if err := r.root.Rename(s.name+PartialSuffix, s.name); err != nil {
		return r.failSegment(fmt.Errorf("rename into place: %w", err))
	}
	r.seg = nil
	r.cat.update(s.name+PartialSuffix, Segment{Name: s.name, Start: s.start.Truncate(time.Second), Size: s.mkv.size})
	if err := r.syncDir(); err != nil {
		return fmt.Errorf("segment %s: fsync data directory: %w", s.name, err)
	}
	r.log.Printf("rotation: finished %s (%d frames, %d bytes)", s.name, s.mkv.frames, s.mkv.size)
	return nil
}

// failSegment abandons the open segment after a write error. Its file stays
// as .partial so the next start recovers what reached the disk; the error
// is never retried into a false success.
func (r *Recorder) failSegment(err error) error {
	s := r.seg
	r.seg = nil
	s.f.Close()
	r.cat.update(s.name+PartialSuffix, Segment{Name: s.name + PartialSuffix, Start: s.start.Truncate(time.Second), Size: s.mkv.size})
	return fmt.Errorf("segment %s: %w", s.name, err)
}

func (r *Recorder) syncDir() error {
	d, err := r.root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
