package images

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultCamera is an IP camera on the host's loopback that misbehaves on
// request. The guest reaches it at 10.0.2.2 through QEMU's user network.
type faultCamera struct {
	mode  atomic.Value // string
	frame []byte
	mu    sync.Mutex
	ln    net.Listener
	srv   *http.Server
	addr  string
}

func newFaultCamera(t *testing.T) *faultCamera {
	img := image.NewRGBA(image.Rect(0, 0, 160, 90))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	c := &faultCamera{frame: b.Bytes()}
	c.mode.Store("ok")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	c.serve(ln)
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *faultCamera) serve(ln net.Listener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ln = ln
	c.srv = &http.Server{Handler: http.HandlerFunc(c.handle)}
	go c.srv.Serve(ln)
}

// stop closes the listener and every connection: the camera vanishes.
func (c *faultCamera) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		c.srv.Close()
		c.srv = nil
	}
}

// back listens again on the same address.
func (c *faultCamera) back(t *testing.T) {
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		t.Fatalf("camera back on %s: %v", c.addr, err)
	}
	c.serve(ln)
}

func (c *faultCamera) handle(w http.ResponseWriter, r *http.Request) {
	mode := c.mode.Load().(string)
	switch mode {
	case "500":
		http.Error(w, "internal error", 500)
		return
	case "401":
		w.Header().Set("WWW-Authenticate", `Basic realm="cam"`)
		http.Error(w, "unauthorized", 401)
		return
	}
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
	rc := http.NewResponseController(w)
	part := func(b []byte) error {
		if _, err := fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(c.frame)); err != nil {
			return err
		}
		w.Write(b)
		return rc.Flush()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; c.mode.Load().(string) == mode; n++ {
		var err error
		switch mode {
		case "ok":
			err = part(append(c.frame, "\r\n"...))
			time.Sleep(100 * time.Millisecond)
		case "stall":
			if n == 0 {
				err = part(c.frame[:len(c.frame)/2])
			}
			time.Sleep(100 * time.Millisecond)
		case "reset":
			part(c.frame)
			if conn, _, herr := rc.Hijack(); herr == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			return
		case "drip":
			_, err = w.Write([]byte{c.frame[n%len(c.frame)]})
			rc.Flush()
			time.Sleep(100 * time.Millisecond)
		case "garbage":
			junk := make([]byte, 32<<10)
			for i := range junk {
				junk[i] = byte(rng.IntN(256)) &^ 0x80 // no 0xFF: never a marker
			}
			_, err = w.Write(junk)
			rc.Flush()
			time.Sleep(20 * time.Millisecond)
		case "endless":
			if n == 0 {
				w.Write([]byte("--frame\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xda\x00\x02"))
			}
			_, err = w.Write(bytes.Repeat([]byte{0x11}, 64<<10))
			rc.Flush()
			time.Sleep(5 * time.Millisecond)
		}
		if err != nil {
			return
		}
	}
}

// camStatus is the part of /api/status R4 reads.
type camStatus struct {
	Camera struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
		Frames    uint64 `json:"frames"`
		Dropped   uint64 `json:"dropped"`
	} `json:"camera"`
	Recording struct {
		Dropped int64 `json:"dropped_frames"`
	} `json:"recording"`
}

func (g *guest) camStatus() (camStatus, error) {
	var st camStatus
	return st, g.getJSON("/api/status", &st)
}

var rssLine = regexp.MustCompile(`(?m)^process_resident_memory_bytes (\S+)`)

func (g *guest) rss() float64 {
	_, body, _ := g.get("/metrics")
	if m := rssLine.FindSubmatch(body); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	g.t.Fatal("/metrics has no process_resident_memory_bytes")
	return 0
}

// TestR4CameraFaults records from an IP camera on the host that stalls,
// resets, answers 500 or 401, drips, sends garbage or an endless frame,
// and vanishes: after each fault the status page shows it, the camera is
// reconnected within the 30 s backoff cap once it behaves, recording
// resumes, and the app's memory stays bounded.
func TestR4CameraFaults(t *testing.T) {
	vmTest(t)
	cam := newFaultCamera(t)
	_, port, _ := net.SplitHostPort(cam.addr)
	g := boot(t, bakedImage(t, "qemu"), "unicam.source=http://10.0.2.2:"+port+"/video", "unicam.segment=5s")
	frames := func() uint64 {
		st, err := g.camStatus()
		if err != nil {
			return 0
		}
		return st.Camera.Frames
	}
	g.waitFor("frames from the camera", 90*time.Second, func() bool { return frames() > 10 })
	rss0 := g.rss()
	// Longer than the camera's 10 s idle timeout, so a stall shows.
	hold, vanish := 12*time.Second, 20*time.Second
	if fullSuite() {
		hold, vanish = 30*time.Second, 3*time.Minute
	}
	// What the status page must show for each fault: its error, or for
	// the faults that keep the connection up, no new frames (drip,
	// garbage) or a dropped oversized frame (endless).
	shows := map[string]*regexp.Regexp{
		"stall": regexp.MustCompile(`idle timeout`), "reset": regexp.MustCompile(`EOF|reset`),
		"500": regexp.MustCompile(`500`), "401": regexp.MustCompile(`refused the credentials`),
		"vanish": regexp.MustCompile(`connection refused`),
	}
	var worst time.Duration
	peak := rss0
	for _, fault := range []string{"stall", "reset", "500", "401", "drip", "garbage", "endless", "vanish"} {
		st0, _ := g.camStatus()
		if fault == "vanish" {
			cam.stop()
			time.Sleep(vanish)
		} else {
			cam.mode.Store(fault)
			time.Sleep(hold)
		}
		st, err := g.camStatus()
		if err != nil {
			t.Fatal(err)
		}
		rss := g.rss()
		t.Logf("%s: status %q, last error %q, frames %d→%d, dropped %d, app memory %.0f MiB", fault, st.Camera.State, st.Camera.LastError,
			st0.Camera.Frames, st.Camera.Frames, st.Camera.Dropped, rss/(1<<20))
		switch {
		case shows[fault] != nil && !shows[fault].MatchString(st.Camera.LastError):
			t.Errorf("%s: the status page shows %q, want %v", fault, st.Camera.LastError, shows[fault])
		case fault == "endless" && st.Camera.Dropped <= st0.Camera.Dropped:
			t.Errorf("endless frame: no dropped frame counted (%d)", st.Camera.Dropped)
		case (fault == "drip" || fault == "garbage") && st.Camera.Frames > st0.Camera.Frames+15:
			t.Errorf("%s: %d frames counted from a camera sending none", fault, st.Camera.Frames-st0.Camera.Frames)
		}
		peak = max(peak, rss)
		before := frames()
		back := time.Now()
		if fault == "vanish" {
			cam.back(t)
		}
		cam.mode.Store("ok")
		g.waitFor("frames again after "+fault, 60*time.Second, func() bool { return frames() > before+5 })
		took := time.Since(back)
		worst = max(worst, took)
		if took > 30*time.Second+5*time.Second {
			t.Errorf("%s: frames again %v after the camera recovered, want within the 30 s backoff cap (+5 s of polling)", fault, took.Round(time.Second))
		}
	}
	st, _ := g.camStatus()
	if peak > rss0+32<<20 {
		t.Errorf("app memory grew from %.0f to %.0f MiB during the faults", rss0/(1<<20), peak/(1<<20))
	}
	var segs int
	g.waitFor("a recording finished after the faults", 30*time.Second, func() bool {
		l, err := g.recordings()
		segs = len(l.Recordings)
		return err == nil && segs > 1
	})
	figure(t, "R4", "camera faults: stall, reset, 500, 401, drip, garbage, endless frame, vanish",
		"each fault held %v (vanish %v); status showed each error; frames again ≤ %.1f s after the camera recovered (backoff cap 30 s); app memory %.0f → peak %.0f MiB; recorder dropped %d frames; %d recordings listed",
		hold, vanish, worst.Seconds(), rss0/(1<<20), peak/(1<<20), st.Recording.Dropped, segs)
}
