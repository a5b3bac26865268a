package capture

import (
	"fmt"
	"image"
)

// samplingFactors gives the luma sampling factors of a chroma subsampling
// ratio, as JPEG's SOF header carries them.
func samplingFactors(r image.YCbCrSubsampleRatio) (h, v int, err error) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, nil
	case image.YCbCrSubsampleRatio422:
		return 2, 1, nil
	case image.YCbCrSubsampleRatio420:
		return 2, 2, nil
	}
	return 0, 0, fmt.Errorf("encode JPEG: chroma subsampling %v not supported (4:4:4, 4:2:2 or 4:2:0)", r)
}

// padded returns img, or a copy of it whose rows are whole MCUs wide with
// the right edge repeated: libjpeg's raw-data interface reads that far.
// Camera sizes (multiples of 16) never need the copy.
func padded(img *image.YCbCr, hs, vs int) *image.YCbCr {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	mcu := 8 * hs
	pw := (w + mcu - 1) / mcu * mcu
	if pw == w && img.Rect.Min == (image.Point{}) {
		return img
	}
	out := image.NewYCbCr(image.Rect(0, 0, pw, h), img.SubsampleRatio)
	cw := (w + hs - 1) / hs
	for y := 0; y < h; y++ {
		padRow(out.Y[y*out.YStride:(y+1)*out.YStride], img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y+y):], w)
	}
	for y := 0; y < (h+vs-1)/vs; y++ {
		src := img.COffset(img.Rect.Min.X, img.Rect.Min.Y+y*vs)
		padRow(out.Cb[y*out.CStride:(y+1)*out.CStride], img.Cb[src:], cw)
		padRow(out.Cr[y*out.CStride:(y+1)*out.CStride], img.Cr[src:], cw)
	}
	return out
}

// padRow copies n samples of src into dst and repeats the last one.
func padRow(dst, src []byte, n int) {
	copy(dst, src[:n])
	for i := n; i < len(dst); i++ {
		dst[i] = src[n-1]
	}
}
