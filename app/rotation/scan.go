package rotation

import (
	"fmt"
	"io/fs"
	"strings"
)

// scan rebuilds the catalog from the directory, never from a saved index:
// finished segments are read for their end and frame count, .partial ones
// left by a crash are repaired, and other files are reported and left
// alone.
func (r *Recorder) scan() error {
	entries, err := fs.ReadDir(r.root.FS(), ".")
	if err != nil {
		return fmt.Errorf("read data directory %s: %w", r.cfg.Dir, err)
	}
	var segs []Segment
	var foreign []string
	for _, e := range entries {
		p, ok := ParseName(e.Name(), r.cfg.Location)
		if !ok || !e.Type().IsRegular() {
			foreign = append(foreign, e.Name())
			continue
		}
		s, err := r.load(e.Name(), p)
		if err != nil {
			r.log.Printf("rotation: %s: %v (left as it is)", e.Name(), err)
			foreign = append(foreign, e.Name())
			continue
		}
		if s.Name != "" {
			segs = append(segs, s)
		}
	}
	if len(foreign) > 0 {
		r.log.Printf("rotation: %d files in %s are not recordings and are left alone: %s", len(foreign), r.cfg.Dir, strings.Join(foreign, ", "))
	}
	r.cat.set(segs, foreign)
	return nil
}

// load reads one segment file into a catalog entry.
func (r *Recorder) load(name string, p ParsedName) (Segment, error) {
	f, ok := formatOfExt(p.Ext)
	if !ok {
		return Segment{}, fmt.Errorf("unknown extension %s", p.Ext)
	}
	if p.Partial {
		return r.recover(name, f, p)
	}
	fi, err := r.root.Stat(name)
	if err != nil {
		return Segment{}, err
	}
	s := Segment{Name: name, Start: p.Start, Size: fi.Size()}
	file, err := r.root.Open(name)
	if err != nil {
		return s, nil
	}
	defer file.Close()
	if end, frames, err := f.info(file, fi.Size(), p.Start); err == nil {
		s.End, s.Frames = end, frames
	}
	return s, nil
}

// recover repairs a segment a crash left behind: cut back to the last
// complete cluster (or frame), indexed, renamed into place. Recording
// resumes in a new segment; a .partial without one whole frame is removed.
func (r *Recorder) recover(partial string, f format, p ParsedName) (Segment, error) {
	final := strings.TrimSuffix(partial, PartialSuffix)
	if _, err := r.root.Stat(final); err == nil {
		return Segment{}, fmt.Errorf("%s already exists", final)
	}
	file, err := r.fs.Open(partial)
	if err != nil {
		return Segment{}, err
	}
	defer file.Close()
	size, err := file.Seek(0, 2)
	if err != nil {
		return Segment{}, err
	}
	c, err := f.repair(file, size, p.Start)
	if err != nil {
		return Segment{}, fmt.Errorf("repair: %w", err)
	}
	if c.frameCount() == 0 {
		file.Close()
		r.log.Printf("rotation: removed %s: no complete frame in it", partial)
		return Segment{}, r.root.Remove(partial)
	}
	if err := c.close(); err != nil {
		return Segment{}, fmt.Errorf("write index: %w", err)
	}
	if err := file.Sync(); err != nil {
		return Segment{}, fmt.Errorf("fsync: %w", err)
	}
	if err := r.root.Rename(partial, final); err != nil {
		return Segment{}, err
	}
	if err := r.syncDir(); err != nil {
		return Segment{}, err
	}
	r.log.Printf("rotation: repaired %s after an unclean stop: %d frames, %d bytes (was %d)", final, c.frameCount(), c.size(), size)
	return Segment{Name: final, Start: p.Start, End: c.end(), Frames: c.frameCount(), Size: c.size()}, nil
}
