package rotation

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

const (
	nameLayout = "2006-01-02-15-04-05"
	// PartialSuffix marks a segment that is still being written, or that a
	// crash left behind.
	PartialSuffix = ".partial"
)

var namePattern = regexp.MustCompile(`^video(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:-([1-9]\d{0,3}))?(\.mkv|\.mjpeg|\.avi)(\.partial)?$`)

// SegmentName is the file name of a finished segment starting at t:
// videoYYYY-MM-DD-hh-mm-ss<ext>, with -N added when an earlier segment
// started in the same second.
func SegmentName(t time.Time, n int, ext string) string {
	if n == 0 {
		return "video" + t.Format(nameLayout) + ext
	}
	return fmt.Sprintf("video%s-%d%s", t.Format(nameLayout), n, ext)
}

// ParsedName is what a segment file name says about the segment.
type ParsedName struct {
	Start   time.Time
	N       int
	Ext     string
	Partial bool
}

// ParseName reads a segment file name in loc. ok is false for files that
// are not unicam segments.
func ParseName(name string, loc *time.Location) (p ParsedName, ok bool) {
	m := namePattern.FindStringSubmatch(name)
	if m == nil {
		return p, false
	}
	t, err := time.ParseInLocation(nameLayout, m[1], loc)
	if err != nil {
		return p, false
	}
	if m[2] != "" {
		p.N, _ = strconv.Atoi(m[2])
	}
	return ParsedName{Start: t, N: p.N, Ext: m[3], Partial: m[4] != ""}, true
}
