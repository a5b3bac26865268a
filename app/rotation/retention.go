package rotation

import (
	"errors"
	"fmt"
	"io/fs"
)

// makeRoom deletes the oldest finished segments until need more bytes fit
// under every limit: the byte cap, the segment count (a new segment counts
// one) and the free space.
func (r *Recorder) makeRoom(need int64) error {
	for {
		reason, err := r.overLimit(need)
		if err != nil {
			return err
		}
		if reason == "" {
			return nil
		}
		old, ok := r.cat.oldestClosed()
		if !ok {
			return fmt.Errorf("need %d bytes (%s): %w", need, reason, errNoRoom)
		}
		if err := r.delete(old, reason); err != nil {
			return err
		}
	}
}

// overLimit names the limit that need more bytes would break, or "".
func (r *Recorder) overLimit(need int64) (string, error) {
	if r.cat.TotalBytes()+need > r.cfg.MaxBytes {
		return fmt.Sprintf("max-bytes %d", r.cfg.MaxBytes), nil
	}
	if r.cfg.MaxSegments > 0 && r.seg == nil && r.cat.Len()+1 > r.cfg.MaxSegments {
		return fmt.Sprintf("max-segments %d", r.cfg.MaxSegments), nil
	}
	if r.cfg.MinFree != (Space{}) {
		avail, total, err := r.fs.Free()
		if err != nil {
			return "", fmt.Errorf("free space of %s: %w", r.cfg.Dir, err)
		}
		if min := r.cfg.MinFree.of(total); avail < min+uint64(need) {
			return fmt.Sprintf("min-free %d bytes, %d available", min, avail), nil
		}
	}
	return "", nil
}

// expire deletes finished segments that ended more than MaxAge ago.
func (r *Recorder) expire() error {
	if r.cfg.MaxAge == 0 {
		return nil
	}
	cutoff := r.now().Add(-r.cfg.MaxAge)
	for {
		old, ok := r.cat.oldestClosed()
		if !ok {
			return nil
		}
		end := old.End
		if end.IsZero() {
			end = old.Start.Add(r.cfg.Segment)
		}
		if !end.Before(cutoff) {
			return nil
		}
		if err := r.delete(old, fmt.Sprintf("max-age %v", r.cfg.MaxAge)); err != nil {
			return err
		}
	}
}

func (r *Recorder) delete(s Segment, reason string) error {
	if err := r.root.Remove(s.Name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete oldest segment %s: %w", s.Name, err)
	}
	r.cat.remove(s.Name)
	r.log.Printf("rotation: deleted %s (%d bytes) for %s", s.Name, s.Size, reason)
	return nil
}

// Delete removes a finished recording at a user's request. It is safe to
// call while Run records; the segment being written cannot be deleted.
func (r *Recorder) Delete(name string) error {
	s, ok := r.cat.Lookup(name)
	if !ok {
		return fmt.Errorf("recording %s: %w", name, fs.ErrNotExist)
	}
	if s.Recording {
		return fmt.Errorf("recording %s is being written", name)
	}
	return r.delete(s, "a user's request")
}

// Free reports the data filesystem's available and total bytes.
func (r *Recorder) Free() (avail, total uint64, err error) { return r.fs.Free() }
