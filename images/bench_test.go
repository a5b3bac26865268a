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
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchRuns is how many times each side-by-side benchmark measures every
// tool; figures are medians (issue #9 asks for at least 5).
const benchRuns = 5

// frame720p is one 1280×720 JPEG of a busy picture, about what a street
// camera sends, the same for every tool.
func frame720p(tb testing.TB, seed int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	rng := rand.New(rand.NewPCG(uint64(seed), 720))
	for y := range 720 {
		for x := range 1280 {
			// Texture (sensor noise and foliage) on a gradient: what makes
			// real camera frames 100–200 KB at this size.
			n := byte(rng.IntN(20))
			img.Set(x, y, color.RGBA{byte(x/5) + n, byte(y/3) + n/2, byte((x+y)/8) + n, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// mjpegSource is a loopback IP camera: each request to /stream gets a
// multipart MJPEG stream of the same frames, paced at FPS (0: as fast as
// the client reads), ending after Frames frames (0: until Close).
type mjpegSource struct {
	FPS    float64
	Frames int
	parts  [][]byte
	srv    *httptest.Server
	mu     sync.Mutex
	served []streamServed
	active atomic.Int32
}

// streamServed is what one request to the source got.
type streamServed struct {
	Bytes int64
	Start time.Time
}

func newMJPEGSource(tb testing.TB, fps float64, frames int) *mjpegSource {
	tb.Helper()
	s := &mjpegSource{FPS: fps, Frames: frames}
	for i := range 4 {
		j := frame720p(tb, i)
		s.parts = append(s.parts, fmt.Appendf(nil, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n", len(j), j))
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.stream))
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the stream's address.
func (s *mjpegSource) URL() string { return s.srv.URL + "/stream" }

// FrameBytes is the average size of one part on the wire.
func (s *mjpegSource) FrameBytes() int {
	n := 0
	for _, p := range s.parts {
		n += len(p)
	}
	return n / len(s.parts)
}

// stream answers as IP cameras do: HTTP/1.0-style, no chunked encoding,
// the connection closed at the end of the stream.
func (s *mjpegSource) stream(w http.ResponseWriter, r *http.Request) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\nConnection: close\r\n\r\n")
	if rw.Flush() != nil {
		return
	}
	st := streamServed{Start: time.Now()}
	s.active.Add(1)
	defer func() {
		s.active.Add(-1)
		s.mu.Lock()
		s.served = append(s.served, st)
		s.mu.Unlock()
	}()
	var tick <-chan time.Time
	if s.FPS > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / s.FPS))
		defer t.Stop()
		tick = t.C
	}
	for i := 0; s.Frames == 0 || i < s.Frames; i++ {
		if tick != nil {
			<-tick
		}
		n, err := conn.Write(s.parts[i%len(s.parts)])
		st.Bytes += int64(n)
		if err != nil {
			return
		}
	}
}

// Active is how many streams are being served now.
func (s *mjpegSource) Active() int { return int(s.active.Load()) }

// Served returns and forgets what the source has served so far.
func (s *mjpegSource) Served() []streamServed {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.served
	s.served = nil
	return out
}

// cpuTime is the CPU a running process's threads have used so far, in
// nanoseconds from the scheduler (/proc/PID/task/*/schedstat), finer than
// /proc/PID/stat's 10 ms ticks. Compare two readings of threads that
// live through both (recorders keep theirs while they record).
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("process %d: no schedstat (%v)", pid, err)
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum, nil
}

// processCPU is the CPU a process that has exited used, from wait4's
// rusage (microseconds).
func processCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// medianOf is the median of xs (the mean of the middle two for an even
// count).
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var (
	cameraOnce sync.Once
	cameraBin  string
	cameraErr  error
)

// cameraBinary builds the camera app for the host once per test binary,
// as the image builds it (trimmed paths, no symbol table).
func cameraBinary(tb testing.TB) string {
	tb.Helper()
	cameraOnce.Do(func() {
		dir, err := os.MkdirTemp("", "unicam-camera-")
		if err != nil {
			cameraErr = err
			return
		}
		cameraBin = filepath.Join(dir, "camera")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", cameraBin, "./app/cmd/camera")
		build.Dir = repoRoot(tb)
		if out, err := build.CombinedOutput(); err != nil {
			cameraErr = fmt.Errorf("build camera: %v\n%s", err, out)
		}
	})
	if cameraErr != nil {
		tb.Fatal(cameraErr)
	}
	return cameraBin
}

// hostCamera is the camera app running on the host.
type hostCamera struct {
	cmd  *exec.Cmd
	url  string
	data string
}

// startHostCamera runs the camera app with its data in dir and the given
// extra flags, and waits for its web server.
func startHostCamera(tb testing.TB, dir string, args ...string) *hostCamera {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := &hostCamera{url: "http://" + addr, data: dir}
	args = append([]string{"-data", dir, "-listen", addr, "-password", guestPassword,
		"-boot-json", "", "-app-log", "", "-supervisor-json", "", "-heartbeat", ""}, args...)
	c.cmd = exec.Command(cameraBinary(tb), args...)
	var out bytes.Buffer
	c.cmd.Stdout, c.cmd.Stderr = &out, &out
	if err := c.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
		if tb.Failed() {
			tb.Logf("camera output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(c.url + "/healthz"); err == nil {
			resp.Body.Close()
			return c
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the camera's web server did not come up:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop SIGTERMs the camera, so it finishes its open recording, and waits.
func (c *hostCamera) stop(tb testing.TB) {
	tb.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
		tb.Fatal("the camera did not exit within 30 s of SIGTERM")
	}
}
