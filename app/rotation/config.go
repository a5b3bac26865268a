package rotation

import (
	"errors"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"
)

// ErrBadConfig marks a recording setting that cannot work; the message
// names the key and the accepted values.
var ErrBadConfig = errors.New("bad recording setting")

// Config is what the recorder needs to know.
type Config struct {
	// Dir is the data directory that holds the segments.
	Dir string
	// Container is the file format: mkv (default), avi or mjpeg.
	Container string
	// Segment is the length of one recording file.
	Segment time.Duration
	// Align starts segments on wall-clock boundaries of Segment in
	// Location: hourly files on the hour, daily files at midnight.
	Align bool
	// SegmentBytes closes a segment at this size (0: no limit).
	SegmentBytes int64
	// MaxBytes caps the total size of all segments; it is never exceeded.
	MaxBytes int64
	// MaxSegments caps the number of segments (0: no limit).
	MaxSegments int
	// MaxAge deletes segments that ended longer ago (0: keep).
	MaxAge time.Duration
	// MinFree keeps this much of the filesystem free, counting files that
	// are not ours, by deleting the oldest segments.
	MinFree Space
	// FlushInterval bounds how much video a power loss can take: pending
	// frames are written and the open segment fsynced this often
	// (default 500ms).
	FlushInterval time.Duration
	// Location names files and aligns segments (default time.Local).
	Location *time.Location
	// Logger receives one line per segment event; nil means log.Default().
	Logger *log.Logger
	// FS is the filesystem seam; nil uses the real one.
	FS FS
}

// Space is an amount of disk: bytes, or a percentage of the filesystem.
type Space struct {
	Bytes   int64
	Percent float64
}

// ParseSpace reads "2GiB"-style sizes (see parseBytes) or "10%".
func ParseSpace(s string) (Space, error) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v >= 100 {
			return Space{}, fmt.Errorf("%q: %w: want a percentage below 100, e.g. 10%%", s, ErrBadConfig)
		}
		return Space{Percent: v}, nil
	}
	n, err := ParseBytes(s)
	if err != nil {
		return Space{}, err
	}
	return Space{Bytes: n}, nil
}

// of is the number of bytes s means on a filesystem of total bytes.
func (s Space) of(total uint64) uint64 {
	if s.Percent > 0 {
		return uint64(float64(total) * s.Percent / 100)
	}
	return uint64(s.Bytes)
}

// minMaxBytes is the smallest cap that leaves room for a header and a
// cluster of small frames.
const minMaxBytes = 64 << 10

// Validate names the first setting that cannot work, and what would.
func (c *Config) Validate() error {
	if c.Container != "" {
		if _, err := lookupFormat(c.Container); err != nil {
			return err
		}
	}
	switch {
	case c.Dir == "":
		return fmt.Errorf("data directory: %w: empty (set -data)", ErrBadConfig)
	case c.Segment < time.Second:
		return fmt.Errorf("segment %v: %w: want at least 1s, e.g. 10m, 1h, 24h", c.Segment, ErrBadConfig)
	case c.Align && 24*time.Hour%c.Segment != 0 && c.Segment%(24*time.Hour) != 0:
		return fmt.Errorf("segment %v with align: %w: want a length that divides a day (1m, 15m, 1h, 6h) or whole days (24h, 168h)", c.Segment, ErrBadConfig)
	case c.MaxBytes < minMaxBytes:
		return fmt.Errorf("max-bytes %d: %w: want at least %d (64KiB)", c.MaxBytes, ErrBadConfig, minMaxBytes)
	case c.SegmentBytes != 0 && c.SegmentBytes < minMaxBytes:
		return fmt.Errorf("segment-bytes %d: %w: want 0 (no limit) or at least 64KiB", c.SegmentBytes, ErrBadConfig)
	case c.MaxSegments < 0:
		return fmt.Errorf("max-segments %d: %w: want 0 (no limit) or more", c.MaxSegments, ErrBadConfig)
	case c.MaxAge < 0:
		return fmt.Errorf("max-age %v: %w: want 0 (keep) or a duration such as 720h", c.MaxAge, ErrBadConfig)
	case c.FlushInterval < 0:
		return fmt.Errorf("flush %v: %w: want a positive duration", c.FlushInterval, ErrBadConfig)
	}
	return nil
}

// segmentEnd is when a segment starting at start closes: start+Segment,
// or with Align the next wall-clock boundary (hourly on the hour, daily at
// midnight, weekly at Monday midnight, in loc).
func segmentEnd(start time.Time, d time.Duration, align bool, loc *time.Location) time.Time {
	if !align {
		return start.Add(d)
	}
	t := start.In(loc)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	if d%(24*time.Hour) == 0 {
		days := int(d / (24 * time.Hour))
		base := midnight
		if days%7 == 0 {
			base = midnight.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		}
		for e := base; ; e = e.AddDate(0, 0, days) {
			if e.After(t) {
				return e
			}
		}
	}
	e := midnight.Add(t.Sub(midnight).Truncate(d) + d)
	return e
}
