package capture

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// TestPattern is a synthetic camera: a moving picture with the capture time
// drawn into it. It needs no hardware, so demos and tests can record
// without a camera.
type TestPattern struct {
	Width, Height int
	FPS           float64
	// Quality is the JPEG quality, 1..100.
	Quality int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Name implements Source.
func (p *TestPattern) Name() string {
	return fmt.Sprintf("testpattern %dx%d@%gfps", p.Width, p.Height, p.FPS)
}

// Validate reports a setting that cannot produce pictures.
func (p *TestPattern) Validate() error {
	if p.Width < 16 || p.Height < 16 || p.Width > 7680 || p.Height > 4320 {
		return fmt.Errorf("test pattern size %dx%d: %w (want 16x16 to 7680x4320)", p.Width, p.Height, ErrBadSetting)
	}
	if p.FPS <= 0 || p.FPS > 120 {
		return fmt.Errorf("test pattern fps %g: %w (want more than 0, at most 120)", p.FPS, ErrBadSetting)
	}
	if p.Quality < 1 || p.Quality > 100 {
		return fmt.Errorf("jpeg quality %d: %w (want 1..100)", p.Quality, ErrBadSetting)
	}
	return nil
}

// Run implements Source: one frame per 1/FPS until ctx is done.
func (p *TestPattern) Run(ctx context.Context, emit func(*Frame)) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / p.FPS))
	defer tick.Stop()
	img := image.NewRGBA(image.Rect(0, 0, p.Width, p.Height))
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		seq++
		t := now()
		f, err := p.render(img, t, seq)
		if err != nil {
			return err
		}
		emit(f)
	}
}

// render draws frame seq captured at t and encodes it.
func (p *TestPattern) render(img *image.RGBA, t time.Time, seq uint64) (*Frame, error) {
	drawBars(img, seq)
	drawStamp(img, t.Format("2006-01-02 15:04:05.000 MST"), fmt.Sprintf("frame %d", seq))
	var buf bytes.Buffer
	buf.Grow(p.Width * p.Height / 4)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.Quality}); err != nil {
		return nil, fmt.Errorf("encode test pattern frame %d: %w", seq, err)
	}
	return &Frame{JPEG: buf.Bytes(), Time: t, Seq: seq, Width: p.Width, Height: p.Height}, nil
}

var barColors = []color.RGBA{
	{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
	{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}, {16, 16, 16, 255},
}

// drawBars paints colour bars that scroll one step per frame, so motion is
// visible and every frame differs.
func drawBars(img *image.RGBA, seq uint64) {
	b := img.Bounds()
	w := b.Dx()
	barW := max(w/len(barColors), 1)
	shift := int(seq*4) % w
	for x := 0; x < w; x++ {
		c := barColors[((x+shift)/barW)%len(barColors)]
		for y := 0; y < b.Dy(); y++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// drawStamp writes the capture time in a dark box at the top left, scaled
// up from the 7x13 font so it stays legible in small pictures.
func drawStamp(img *image.RGBA, lines ...string) {
	const scale = 2
	face := basicfont.Face7x13
	textW, lineH := 0, face.Height
	for _, l := range lines {
		textW = max(textW, font.MeasureString(face, l).Ceil())
	}
	small := image.NewRGBA(image.Rect(0, 0, textW+8, lineH*len(lines)+6))
	draw.Draw(small, small.Bounds(), image.NewUniform(color.RGBA{0, 0, 0, 255}), image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.White, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(4, 3+face.Ascent+i*lineH)
		d.DrawString(l)
	}
	sb := small.Bounds()
	for y := 0; y < sb.Dy()*scale && y+8 < img.Bounds().Dy(); y++ {
		for x := 0; x < sb.Dx()*scale && x+8 < img.Bounds().Dx(); x++ {
			img.SetRGBA(x+8, y+8, small.RGBAAt(x/scale, y/scale))
		}
	}
}
