//go:build !cgo

package capture

import (
	"bytes"
	"image"
	"image/jpeg"
)

// EncoderName says which JPEG encoder this build uses.
const EncoderName = "image/jpeg"

// encodeYCbCr compresses img with Go's image/jpeg (4:2:0 output), for
// builds without cgo; it is several times slower than libjpeg-turbo.
func encodeYCbCr(dst []byte, img *image.YCbCr, quality int) ([]byte, error) {
	if _, _, err := samplingFactors(img.SubsampleRatio); err != nil {
		return nil, err
	}
	b := bytes.NewBuffer(dst)
	if err := jpeg.Encode(b, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
