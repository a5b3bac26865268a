package capture

import (
	"fmt"
	"image"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Position is a corner of the picture.
type Position string

// The overlay positions.
const (
	TopLeft     Position = "top-left"
	TopRight    Position = "top-right"
	BottomLeft  Position = "bottom-left"
	BottomRight Position = "bottom-right"
)

// ParsePosition checks an -overlay value; "off" disables the overlay.
func ParsePosition(s string) (Overlay, error) {
	switch p := Position(s); p {
	case TopLeft, TopRight, BottomLeft, BottomRight:
		return Overlay{Enabled: true, Pos: p}, nil
	case "off", "none":
		return Overlay{}, nil
	}
	return Overlay{}, fmt.Errorf("overlay %q: %w (accepted: top-left, top-right, bottom-left, bottom-right, off)", s, ErrBadSetting)
}

// Overlay draws text (the capture time) into a YCbCr picture: light text
// in a dark box, directly in the luma plane, so it costs a few thousand
// pixel writes and no colour conversion.
type Overlay struct {
	Enabled bool
	Pos     Position
}

const (
	lumaText = 235
	lumaBox  = 16
	chromaNo = 128
	margin   = 8
	pad      = 4
)

// Draw writes lines into img at the overlay's corner.
func (o Overlay) Draw(img *image.YCbCr, lines ...string) {
	if !o.Enabled || len(lines) == 0 {
		return
	}
	mask := textMask(lines)
	b := img.Bounds()
	scale := 1 + b.Dx()/800
	mw, mh := mask.Rect.Dx()*scale, mask.Rect.Dy()*scale
	x0, y0 := b.Min.X+margin, b.Min.Y+margin
	if o.Pos == TopRight || o.Pos == BottomRight {
		x0 = b.Max.X - margin - mw
	}
	if o.Pos == BottomLeft || o.Pos == BottomRight {
		y0 = b.Max.Y - margin - mh
	}
	for y := max(y0, b.Min.Y); y < min(y0+mh, b.Max.Y); y++ {
		for x := max(x0, b.Min.X); x < min(x0+mw, b.Max.X); x++ {
			v := byte(lumaBox)
			if mask.AlphaAt(mask.Rect.Min.X+(x-x0)/scale, mask.Rect.Min.Y+(y-y0)/scale).A > 127 {
				v = lumaText
			}
			img.Y[img.YOffset(x, y)] = v
			ci := img.COffset(x, y)
			img.Cb[ci], img.Cr[ci] = chromaNo, chromaNo
		}
	}
}

// textMask renders lines with the 7×13 font into an alpha mask with a
// padding border.
func textMask(lines []string) *image.Alpha {
	face := basicfont.Face7x13
	w := 0
	for _, l := range lines {
		w = max(w, font.MeasureString(face, l).Ceil())
	}
	mask := image.NewAlpha(image.Rect(0, 0, w+2*pad, face.Height*len(lines)+2*pad))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(pad, pad+face.Ascent+i*face.Height)
		d.DrawString(strings.ToValidUTF8(l, "?"))
	}
	return mask
}
