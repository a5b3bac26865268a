package capture

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/blackjack/webcam"
)

// V4L2Camera captures from a V4L2 device (a USB webcam, or the kernel's
// vivid test driver) through github.com/blackjack/webcam. MJPEG frames are
// passed through untouched; YUYV frames are encoded to JPEG with the
// overlay. An unplugged device is reopened with backoff until it returns.
type V4L2Camera struct {
	Device        string
	Width, Height int
	FPS           float64
	Quality       int
	Overlay       Overlay
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	Logger        *log.Logger
	// Open is the seam for tests; nil opens the real device.
	Open func(path string) (Device, error)

	st   tracker
	seq  uint64
	pool FramePool
}

// Device is what V4L2Camera uses of a *webcam.Webcam.
type Device interface {
	GetSupportedFormats() map[webcam.PixelFormat]string
	GetSupportedFrameSizes(webcam.PixelFormat) []webcam.FrameSize
	SetImageFormat(webcam.PixelFormat, uint32, uint32) (webcam.PixelFormat, uint32, uint32, error)
	SetFramerate(float32) error
	SetBufferCount(uint32) error
	StartStreaming() error
	WaitForFrame(timeout uint32) error
	GetFrame() ([]byte, uint32, error)
	ReleaseFrame(uint32) error
	Close() error
}

// frameWait bounds the wait for one frame (ms) before the device counts as
// gone.
const frameWait = 5000

// Name implements Source.
func (c *V4L2Camera) Name() string { return "v4l2 " + c.Device }

// Status implements StatusReporter.
func (c *V4L2Camera) Status() Status { return c.st.get() }

// Run implements Source.
func (c *V4L2Camera) Run(ctx context.Context, emit func(*Frame)) error {
	if c.Logger == nil {
		c.Logger = log.Default()
	}
	if c.Open == nil {
		c.Open = func(p string) (Device, error) { return webcam.Open(p) }
	}
	bo := backoff{min: max(c.MinBackoff, 100*time.Millisecond), max: max(c.MaxBackoff, time.Second)}
	retry(ctx, c.Name(), &c.st, bo, c.Logger, "reopening",
		func(ctx context.Context) (int, error) { return c.session(ctx, emit) })
	return nil
}

func (c *V4L2Camera) session(ctx context.Context, emit func(*Frame)) (int, error) {
	dev, err := c.Open(c.Device)
	if err != nil {
		return 0, fmt.Errorf("open: %w", err)
	}
	defer dev.Close()
	mode, err := c.configure(dev)
	if err != nil {
		return 0, err
	}
	enc := &YUYVEncoder{Width: int(mode.Width), Height: int(mode.Height), Quality: c.Quality, Overlay: c.Overlay}
	c.st.state(c.Name(), StateStreaming)
	for n := 0; ; n++ {
		if ctx.Err() != nil {
			return n, nil
		}
		f, err := c.capture(dev, mode, enc)
		if err != nil {
			return n, err
		}
		if f != nil {
			c.st.frame(len(f.JPEG), f.Time)
			emit(f)
			f.Release()
		}
	}
}

// configure picks and sets the mode nearest to what was asked, and logs it.
func (c *V4L2Camera) configure(dev Device) (Mode, error) {
	var formats []uint32
	for f := range dev.GetSupportedFormats() {
		formats = append(formats, uint32(f))
	}
	sizes := func(f uint32) []SizeRange {
		var out []SizeRange
		for _, s := range dev.GetSupportedFrameSizes(webcam.PixelFormat(f)) {
			out = append(out, SizeRange{s.MinWidth, s.MaxWidth, s.StepWidth, s.MinHeight, s.MaxHeight, s.StepHeight})
		}
		return out
	}
	mode, err := ChooseMode(formats, sizes, uint32(c.Width), uint32(c.Height))
	if err != nil {
		return mode, err
	}
	if _, _, _, err := dev.SetImageFormat(webcam.PixelFormat(mode.Format), mode.Width, mode.Height); err != nil {
		return mode, fmt.Errorf("set format %s: %w", mode, err)
	}
	if err := dev.SetFramerate(float32(c.FPS)); err != nil {
		c.Logger.Printf("capture: %s: cannot set %g fps (%v); using the device's rate", c.Name(), c.FPS, err)
	}
	if err := dev.SetBufferCount(4); err != nil {
		return mode, fmt.Errorf("set buffer count: %w", err)
	}
	if err := dev.StartStreaming(); err != nil {
		return mode, fmt.Errorf("start streaming: %w", err)
	}
	c.Logger.Printf("capture: %s: asked %dx%d, capturing %s", c.Name(), c.Width, c.Height, mode)
	return mode, nil
}

// capture waits for one buffer, turns it into a frame and gives the buffer
// back. A broken MJPEG buffer is dropped (nil frame), not fatal.
func (c *V4L2Camera) capture(dev Device, mode Mode, enc *YUYVEncoder) (*Frame, error) {
	if err := dev.WaitForFrame(frameWait); err != nil {
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			return nil, fmt.Errorf("no frame within %d ms", frameWait)
		}
		return nil, fmt.Errorf("wait for frame: %w", err)
	}
	buf, idx, err := dev.GetFrame()
	if err != nil {
		return nil, fmt.Errorf("dequeue frame: %w", err)
	}
	defer dev.ReleaseFrame(idx)
	now := time.Now()
	f := c.pool.get()
	if mode.Format == FormatMJPEG {
		n, err := ScanJPEG(buf)
		if err != nil {
			f.Release()
			c.st.drop(1)
			return nil, nil
		}
		// The one copy: the buffer goes back to the driver.
		f.JPEG = append(f.JPEG, buf[:n]...)
	} else if f.JPEG, err = enc.Encode(f.JPEG, buf, now.Format("2006-01-02 15:04:05.000 MST")); err != nil {
		f.Release()
		return nil, err
	}
	c.seq++
	f.Time, f.Seq, f.Width, f.Height = now, c.seq, int(mode.Width), int(mode.Height)
	return f, nil
}
