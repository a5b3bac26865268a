package capture

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"strings"
	"testing"
)

func TestChooseMode(t *testing.T) {
	discrete := func(sz ...[2]uint32) []SizeRange {
		var out []SizeRange
		for _, s := range sz {
			out = append(out, SizeRange{MinW: s[0], MaxW: s[0], MinH: s[1], MaxH: s[1]})
		}
		return out
	}
	cam := map[uint32][]SizeRange{
		FormatMJPEG: discrete([2]uint32{640, 480}, [2]uint32{1280, 720}, [2]uint32{1920, 1080}),
		FormatYUYV:  discrete([2]uint32{640, 480}, [2]uint32{320, 240}),
	}
	sizes := func(f uint32) []SizeRange { return cam[f] }
	for _, tc := range []struct {
		formats []uint32
		w, h    uint32
		want    Mode
	}{
		{[]uint32{FormatYUYV, FormatMJPEG}, 1280, 720, Mode{FormatMJPEG, 1280, 720}},
		{[]uint32{FormatYUYV, FormatMJPEG}, 1100, 650, Mode{FormatMJPEG, 1280, 720}},
		{[]uint32{FormatYUYV}, 1280, 720, Mode{FormatYUYV, 640, 480}},
		{[]uint32{FormatYUYV}, 300, 200, Mode{FormatYUYV, 320, 240}},
	} {
		got, err := ChooseMode(tc.formats, sizes, tc.w, tc.h)
		if err != nil || got != tc.want {
			t.Errorf("ChooseMode(%v, %dx%d) = %v, %v; want %v", tc.formats, tc.w, tc.h, got, err, tc.want)
		}
	}
	step := func(uint32) []SizeRange { return []SizeRange{{48, 1920, 2, 32, 1080, 2}} }
	if got, _ := ChooseMode([]uint32{FormatYUYV}, step, 641, 361); got != (Mode{FormatYUYV, 640, 360}) {
		t.Errorf("stepwise: %v", got)
	}
	_, err := ChooseMode([]uint32{'G' | 'R'<<8 | 'E'<<16 | 'Y'<<24}, sizes, 640, 480)
	if !errors.Is(err, ErrNoUsableFormat) || !strings.Contains(err.Error(), "GREY") {
		t.Errorf("unusable: %v", err)
	}
}

// yuyvFrame is a uniform w×h YUYV frame of one colour.
func yuyvFrame(w, h int, y, u, v byte) []byte {
	b := make([]byte, w*h*2)
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = y, u, y, v
	}
	return b
}

func TestYUYVEncodeWithOverlay(t *testing.T) {
	enc := &YUYVEncoder{Width: 320, Height: 240, Quality: 90, Overlay: Overlay{Enabled: true, Pos: BottomRight}}
	j, err := enc.Encode(nil, yuyvFrame(320, 240, 128, 90, 200), "2026-01-02 03:04:05.000 UTC")
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	yc := img.(*image.YCbCr)
	if got := yc.YCbCrAt(10, 10); absDiff(uint64(got.Y), 128) > 4 || absDiff(uint64(got.Cb), 90) > 4 || absDiff(uint64(got.Cr), 200) > 4 {
		t.Errorf("picture colour at the top left = %v, want Y128 Cb90 Cr200", got)
	}
	dark, light := 0, 0
	for y := 200; y < 232; y++ {
		for x := 120; x < 312; x++ {
			switch v := yc.YCbCrAt(x, y).Y; {
			case v < 50:
				dark++
			case v > 200:
				light++
			}
		}
	}
	if dark < 1000 || light < 100 {
		t.Errorf("overlay box at the bottom right: %d dark, %d light pixels", dark, light)
	}
	if _, err := enc.Encode(nil, make([]byte, 100)); err == nil {
		t.Error("short YUYV frame accepted")
	}
}

func TestParsePosition(t *testing.T) {
	if o, err := ParsePosition("top-left"); err != nil || !o.Enabled || o.Pos != TopLeft {
		t.Errorf("top-left: %+v %v", o, err)
	}
	if o, err := ParsePosition("off"); err != nil || o.Enabled {
		t.Errorf("off: %+v %v", o, err)
	}
	if _, err := ParsePosition("middle"); !errors.Is(err, ErrBadSetting) {
		t.Errorf("middle: %v", err)
	}
}

func BenchmarkYUYV720pToJPEG(b *testing.B) {
	enc := &YUYVEncoder{Width: 1280, Height: 720, Quality: 75, Overlay: Overlay{Enabled: true, Pos: TopLeft}}
	frame := yuyvFrame(1280, 720, 100, 110, 140)
	for i := 0; i < len(frame); i += 7 {
		frame[i] ^= byte(i)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		// Into the same buffer each time, as a pooled frame's.
		if out, err = enc.Encode(out[:0], frame, "2026-01-02 03:04:05.000 UTC"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fps")
}
