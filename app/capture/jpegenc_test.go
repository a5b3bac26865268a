package capture

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// TestEncodeYCbCr encodes pictures of awkward sizes in each subsampling
// and checks that image/jpeg decodes them to the same size and colours,
// the bottom-right corner included (rows past the end are repeated).
func TestEncodeYCbCr(t *testing.T) {
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420} {
		for _, sz := range [][2]int{{16, 16}, {100, 75}, {33, 17}, {1280, 720}} {
			img := image.NewYCbCr(image.Rect(0, 0, sz[0], sz[1]), r)
			for y := 0; y < sz[1]; y++ {
				for x := 0; x < sz[0]; x++ {
					img.Y[img.YOffset(x, y)] = byte(40 + (x+y)%160)
				}
			}
			for i := range img.Cb {
				img.Cb[i], img.Cr[i] = 100, 150
			}
			j, err := encodeYCbCr(nil, img, 90)
			if err != nil {
				t.Fatalf("%v %v: %v", r, sz, err)
			}
			dec, err := jpeg.Decode(bytes.NewReader(j))
			if err != nil {
				t.Fatalf("%v %v: decode: %v", r, sz, err)
			}
			if b := dec.Bounds(); b.Dx() != sz[0] || b.Dy() != sz[1] {
				t.Fatalf("%v %v: decoded %v", r, sz, b)
			}
			yc := dec.(*image.YCbCr)
			for _, p := range [][2]int{{0, 0}, {sz[0] - 1, sz[1] - 1}, {sz[0] / 2, sz[1] - 1}} {
				got, want := yc.YCbCrAt(p[0], p[1]), img.YCbCrAt(p[0], p[1])
				if absDiff(uint64(got.Y), uint64(want.Y)) > 12 || absDiff(uint64(got.Cb), 100) > 6 || absDiff(uint64(got.Cr), 150) > 6 {
					t.Errorf("%v %v at %v: got %v, want %v", r, sz, p, got, want)
				}
			}
		}
	}
	if _, err := encodeYCbCr(nil, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio440), 90); err == nil {
		t.Error("4:4:0 accepted")
	}
}
