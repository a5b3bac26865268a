package capture

import (
	"fmt"
	"image"
)

// YUYVEncoder turns packed YUYV 4:2:2 frames into JPEGs, drawing the
// overlay into the picture first. It reuses its picture between frames, so
// use one encoder per goroutine.
type YUYVEncoder struct {
	Width, Height int
	Quality       int
	Overlay       Overlay
	img           *image.YCbCr
}

// Encode converts one frame and appends the JPEG to dst; text is drawn by
// the overlay. A dst with room (a pooled frame's buffer) saves an
// allocation per frame.
func (e *YUYVEncoder) Encode(dst, yuyv []byte, text ...string) ([]byte, error) {
	want := e.Width * e.Height * 2
	if len(yuyv) < want {
		return nil, fmt.Errorf("YUYV frame of %d bytes, want %d for %dx%d", len(yuyv), want, e.Width, e.Height)
	}
	if e.img == nil {
		e.img = image.NewYCbCr(image.Rect(0, 0, e.Width, e.Height), image.YCbCrSubsampleRatio422)
	}
	deinterleave(e.img, yuyv, e.Width, e.Height)
	e.Overlay.Draw(e.img, text...)
	return encodeYCbCr(dst, e.img, e.Quality)
}

// deinterleave splits Y0 U Y1 V quads into the planes of a 4:2:2 picture.
func deinterleave(img *image.YCbCr, src []byte, w, h int) {
	for y := 0; y < h; y++ {
		s := src[y*w*2 : (y+1)*w*2]
		yr := img.Y[y*img.YStride : y*img.YStride+w]
		cb := img.Cb[y*img.CStride : y*img.CStride+w/2]
		cr := img.Cr[y*img.CStride : y*img.CStride+w/2]
		for i := 0; i < w/2; i++ {
			q := s[i*4 : i*4+4 : i*4+4]
			yr[2*i], cb[i], yr[2*i+1], cr[i] = q[0], q[1], q[2], q[3]
		}
	}
}
