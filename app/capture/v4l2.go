package capture

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// V4L2 pixel formats unicam takes (fourcc codes).
const (
	FormatMJPEG uint32 = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	FormatYUYV  uint32 = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
)

// ErrNoUsableFormat means a device offers neither MJPEG nor YUYV.
var ErrNoUsableFormat = errors.New("device offers neither MJPEG nor YUYV")

// SizeRange is one entry of a device's frame sizes: discrete when the step
// is zero (Min == Max), else stepwise.
type SizeRange struct {
	MinW, MaxW, StepW uint32
	MinH, MaxH, StepH uint32
}

// Mode is a capture format and size.
type Mode struct {
	Format        uint32
	Width, Height uint32
}

func (m Mode) String() string {
	return fmt.Sprintf("%s %dx%d", fourcc(m.Format), m.Width, m.Height)
}

func fourcc(f uint32) string {
	return strings.TrimRight(string([]byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}), "\x00 ")
}

// ChooseMode picks MJPEG when offered (frames pass through untouched),
// else YUYV, at the supported size nearest to w×h (by pixel count, then
// by width).
func ChooseMode(formats []uint32, sizes func(uint32) []SizeRange, w, h uint32) (Mode, error) {
	var format uint32
	switch {
	case slices.Contains(formats, FormatMJPEG):
		format = FormatMJPEG
	case slices.Contains(formats, FormatYUYV):
		format = FormatYUYV
	default:
		var names []string
		for _, f := range formats {
			names = append(names, fourcc(f))
		}
		return Mode{}, fmt.Errorf("%w (it offers %s)", ErrNoUsableFormat, strings.Join(names, ", "))
	}
	best, found := Mode{Format: format}, false
	for _, r := range sizes(format) {
		cw, ch := fit(r.MinW, r.MaxW, r.StepW, w), fit(r.MinH, r.MaxH, r.StepH, h)
		if format == FormatYUYV && cw%2 != 0 {
			continue
		}
		if !found || closer(cw, ch, best.Width, best.Height, w, h) {
			best.Width, best.Height, found = cw, ch, true
		}
	}
	if !found {
		return Mode{}, fmt.Errorf("device lists no frame sizes for %s", fourcc(format))
	}
	return best, nil
}

// fit clamps want into [lo, hi] on the step grid.
func fit(lo, hi, step, want uint32) uint32 {
	v := min(max(want, lo), hi)
	if step > 0 {
		v = lo + (v-lo)/step*step
	}
	return v
}

func closer(w, h, bw, bh, ww, wh uint32) bool {
	d := absDiff(uint64(w)*uint64(h), uint64(ww)*uint64(wh))
	bd := absDiff(uint64(bw)*uint64(bh), uint64(ww)*uint64(wh))
	if d != bd {
		return d < bd
	}
	return absDiff(uint64(w), uint64(ww)) < absDiff(uint64(bw), uint64(ww))
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
