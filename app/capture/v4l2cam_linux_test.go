package capture

import (
	"context"
	"io"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// fakeDevice is a YUYV-only webcam that delivers frames until unplugged.
type fakeDevice struct {
	frames  int
	fail    error
	w, h    uint32
	closed  bool
	streams int
}

func (d *fakeDevice) GetSupportedFormats() map[webcam.PixelFormat]string {
	return map[webcam.PixelFormat]string{webcam.PixelFormat(FormatYUYV): "YUYV 4:2:2"}
}
func (d *fakeDevice) GetSupportedFrameSizes(webcam.PixelFormat) []webcam.FrameSize {
	return []webcam.FrameSize{{MinWidth: 160, MaxWidth: 160, MinHeight: 120, MaxHeight: 120}, {MinWidth: 320, MaxWidth: 320, MinHeight: 240, MaxHeight: 240}}
}
func (d *fakeDevice) SetImageFormat(f webcam.PixelFormat, w, h uint32) (webcam.PixelFormat, uint32, uint32, error) {
	d.w, d.h = w, h
	return f, w, h, nil
}
func (d *fakeDevice) SetFramerate(float32) error  { return nil }
func (d *fakeDevice) SetBufferCount(uint32) error { return nil }
func (d *fakeDevice) StartStreaming() error       { d.streams++; return nil }
func (d *fakeDevice) WaitForFrame(uint32) error   { return nil }
func (d *fakeDevice) ReleaseFrame(uint32) error   { return nil }
func (d *fakeDevice) Close() error                { d.closed = true; return nil }
func (d *fakeDevice) GetFrame() ([]byte, uint32, error) {
	if d.frames == 0 {
		return nil, 0, d.fail
	}
	d.frames--
	return yuyvFrame(int(d.w), int(d.h), 80, 128, 128), 0, nil
}

func TestV4L2CameraReopensAfterUnplug(t *testing.T) {
	var mu sync.Mutex
	var opened []*fakeDevice
	cam := &V4L2Camera{Device: "/dev/video7", Width: 300, Height: 200, FPS: 5, Quality: 80,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: log.New(io.Discard, "", 0),
		Open: func(string) (Device, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(opened) == 1 {
				opened = append(opened, nil)
				return nil, unix.ENOENT // still unplugged on the first retry
			}
			d := &fakeDevice{frames: 3, fail: unix.ENODEV}
			opened = append(opened, d)
			return d, nil
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []*Frame
	cam.Run(ctx, func(f *Frame) {
		f.Retain()
		got = append(got, f)
		if len(got) == 5 {
			cancel()
		}
	})
	if len(got) != 5 {
		t.Fatalf("%d frames across the unplug, want 5", len(got))
	}
	if len(opened) != 3 || !opened[0].closed {
		t.Errorf("opened %d times (want open, failed reopen, reopen), first closed %v", len(opened), opened[0].closed)
	}
	for _, f := range got {
		if f.Width != 320 || f.Height != 240 {
			t.Errorf("frame %dx%d, want the nearest mode 320x240", f.Width, f.Height)
		}
	}
	if st := cam.Status(); !strings.Contains(st.LastError, "open: no such file") || st.Frames != 5 {
		t.Errorf("status %+v", st)
	}
}
