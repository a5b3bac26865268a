package capture

import (
	"context"
	"fmt"
	"image"
	"time"
)

// TestPattern is a synthetic camera: scrolling colour bars with the
// capture time drawn in. It needs no hardware, so demos and tests can
// record without a camera.
type TestPattern struct {
	Width, Height int
	FPS           float64
	// Quality is the JPEG quality, 1..100.
	Quality int
	// Overlay places the capture time; the zero value draws none.
	Overlay Overlay
	// Sequence writes "unicam-seq=N" into each frame's JPEG COM segment,
	// so tests can check that no frame went missing.
	Sequence bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	st tracker
}

// SeqComment is the COM text of frame seq in Sequence mode.
func SeqComment(seq uint64) string { return fmt.Sprintf("unicam-seq=%d", seq) }

// Name implements Source.
func (p *TestPattern) Name() string {
	return fmt.Sprintf("testpattern %dx%d@%gfps", p.Width, p.Height, p.FPS)
}

// Status implements StatusReporter.
func (p *TestPattern) Status() Status { return p.st.get() }

// Validate reports a setting that cannot produce pictures.
func (p *TestPattern) Validate() error {
	if p.Width < 16 || p.Height < 16 || p.Width > 7680 || p.Height > 4320 || p.Width%2 != 0 {
		return fmt.Errorf("test pattern size %dx%d: %w (want an even width, 16x16 to 7680x4320)", p.Width, p.Height, ErrBadSetting)
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
	img := image.NewYCbCr(image.Rect(0, 0, p.Width, p.Height), image.YCbCrSubsampleRatio420)
	p.st.state(p.Name(), StateStreaming)
	defer p.st.state(p.Name(), StateStopped)
	for seq := uint64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		t := now()
		f, err := p.render(img, t, seq)
		if err != nil {
			return err
		}
		p.st.frame(len(f.JPEG), t)
		emit(f)
	}
}

// render draws frame seq captured at t and encodes it.
func (p *TestPattern) render(img *image.YCbCr, t time.Time, seq uint64) (*Frame, error) {
	drawBars(img, seq)
	p.Overlay.Draw(img, t.Format("2006-01-02 15:04:05.000 MST"), fmt.Sprintf("frame %d", seq))
	b, err := encodeYCbCr(make([]byte, 0, p.Width*p.Height/4), img, p.Quality)
	if err != nil {
		return nil, fmt.Errorf("encode test pattern frame %d: %w", seq, err)
	}
	if p.Sequence {
		b = WithComment(b, SeqComment(seq))
	}
	return &Frame{JPEG: b, Time: t, Seq: seq, Width: p.Width, Height: p.Height}, nil
}

// barColors are the SMPTE-like bars in Y, Cb, Cr.
var barColors = [][3]byte{
	{235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34},
	{106, 202, 222}, {81, 90, 240}, {41, 240, 110}, {16, 128, 128},
}

// drawBars paints colour bars that scroll one step per frame, so motion is
// visible and every frame differs.
func drawBars(img *image.YCbCr, seq uint64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	barW := max(w/len(barColors), 1)
	shift := int(seq*4) % w
	for x := 0; x < w; x++ {
		c := barColors[((x+shift)/barW)%len(barColors)]
		for y := 0; y < h; y++ {
			img.Y[y*img.YStride+x] = c[0]
		}
		if x%2 == 0 {
			for y := 0; y < h/2; y++ {
				img.Cb[y*img.CStride+x/2], img.Cr[y*img.CStride+x/2] = c[1], c[2]
			}
		}
	}
}
