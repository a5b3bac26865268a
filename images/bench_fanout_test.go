package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// broadcastEnv makes the test binary run as the bare Go broadcast server
// of BenchmarkLiveFanout ("listen-address source-url") instead of tests.
const broadcastEnv = "UNICAM_BENCH_BROADCAST"

// liveBoundary is the multipart boundary of both live servers.
const liveBoundary = "unicamframe"

// broadcastMain is the baseline: the least a Go program does to show one
// MJPEG camera to many viewers. It reads the camera with mime/multipart
// and writes every frame to every viewer that has room for it.
func broadcastMain(listen, source string) error {
	resp, err := http.Get(source)
	if err != nil {
		return err
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	viewers := map[chan []byte]bool{}
	go func() {
		mr := multipart.NewReader(resp.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				fmt.Fprintln(os.Stderr, "broadcast: camera:", err)
				os.Exit(1)
			}
			b, _ := io.ReadAll(p)
			mu.Lock()
			for c := range viewers {
				select {
				case c <- b:
				default:
				}
			}
			mu.Unlock()
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/stream.mjpg", func(w http.ResponseWriter, r *http.Request) {
		c := make(chan []byte, 2)
		mu.Lock()
		viewers[c] = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(viewers, c)
			mu.Unlock()
		}()
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+liveBoundary)
		rc := http.NewResponseController(w)
		for {
			select {
			case b := <-c:
				fmt.Fprintf(w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", liveBoundary, len(b))
				w.Write(b)
				w.Write([]byte("\r\n"))
				if rc.Flush() != nil {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
	})
	return http.ListenAndServe(listen, mux)
}

// liveServer is one of the servers the fan-out benchmark compares.
type liveServer struct {
	name string
	pid  int
	url  string // the live stream
}

func startBroadcast(tb testing.TB, source string) liveServer {
	tb.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), broadcastEnv+"="+addr+" "+source)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(tb, "the broadcast server", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return liveServer{name: "bare Go broadcast", pid: cmd.Process.Pid, url: "http://" + addr + "/stream.mjpg"}
}

// viewers are n live viewers counting the frames they receive.
type viewers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	frames atomic.Int64
	errs   atomic.Int64
}

// watch connects n viewers to url, logged in as the tests' user.
func watch(tb testing.TB, url string, n int) *viewers {
	v := &viewers{}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	marker := []byte("--" + liveBoundary + "\r\n")
	for range n {
		v.wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			req.SetBasicAuth("admin", guestPassword)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				v.errs.Add(1)
				return
			}
			defer resp.Body.Close()
			buf := make([]byte, 256<<10)
			carry := 0
			for {
				k, err := resp.Body.Read(buf[carry:])
				data := buf[:carry+k]
				v.frames.Add(int64(bytes.Count(data, marker)))
				// Keep a tail shorter than the marker, so a marker split
				// between two reads is counted once.
				carry = copy(buf, data[max(0, len(data)-len(marker)+1):])
				if err != nil {
					return
				}
			}
		})
	}
	return v
}

func (v *viewers) stop() {
	v.cancel()
	v.wg.Wait()
}

// fanoutRun is one measurement of one server with n viewers.
type fanoutRun struct {
	fps          float64 // frames per second each viewer got
	usPerFrame   float64 // server CPU µs per viewer-frame
	failedViewer int64
}

func measureFanout(tb testing.TB, s liveServer, n int, window time.Duration) fanoutRun {
	tb.Helper()
	v := watch(tb, s.url, n)
	defer v.stop()
	waitUntil(tb, fmt.Sprintf("%d viewers of %s receiving", n, s.name), 30*time.Second, func() bool {
		return v.frames.Load() >= int64(n) || v.errs.Load() > 0
	})
	time.Sleep(500 * time.Millisecond)
	f0 := v.frames.Load()
	c0, err := cpuTime(s.pid)
	if err != nil {
		tb.Fatal(err)
	}
	time.Sleep(window)
	c1, _ := cpuTime(s.pid)
	frames := v.frames.Load() - f0
	if frames == 0 {
		tb.Fatalf("%s: no frames reached %d viewers in %v", s.name, n, window)
	}
	return fanoutRun{fps: float64(frames) / float64(n) / window.Seconds(),
		usPerFrame: float64((c1 - c0).Microseconds()) / float64(frames), failedViewer: v.errs.Load()}
}

// fanoutWindow is how long each fan-out measurement counts frames.
const fanoutWindow = 3 * time.Second

// BenchmarkLiveFanout shows one 720p 30 fps camera live to 1, 10 and 100
// viewers from unicam (recording off, so only the live path is measured)
// and from a bare Go broadcast server, in turns, benchRuns times, and
// reports the median fps each viewer got and the server's CPU per
// viewer-frame.
func BenchmarkLiveFanout(b *testing.B) {
	src := newMJPEGSource(b, 30, 0)
	cam := startHostCamera(b, b.TempDir(), "-source", src.URL(), "-max-viewers", "100",
		"-recording-disabled", "live fan-out benchmark")
	servers := []liveServer{{name: "unicam", pid: cam.cmd.Process.Pid, url: cam.url + "/stream.mjpg"}, startBroadcast(b, src.URL())}
	for b.Loop() {
		for k, n := range []int{1, 10, 100} {
			fps := make([][]float64, len(servers))
			us := make([][]float64, len(servers))
			for range benchRuns {
				for i, s := range servers {
					r := measureFanout(b, s, n, fanoutWindow)
					if r.failedViewer > 0 {
						b.Fatalf("%s: %d of %d viewers were refused", s.name, r.failedViewer, n)
					}
					fps[i] = append(fps[i], r.fps)
					us[i] = append(us[i], r.usPerFrame)
				}
			}
			reportFanout(b, fmt.Sprintf("L%d", k+1), n, fps, us)
		}
	}
}

func reportFanout(b *testing.B, id string, n int, fps, us [][]float64) {
	fpsRatio := medianOf(fps[0]) / medianOf(fps[1])
	cpuRatio := medianOf(us[0]) / medianOf(us[1])
	b.ReportMetric(medianOf(fps[0]), fmt.Sprintf("unicam-fps/%d-viewers", n))
	b.ReportMetric(medianOf(fps[1]), fmt.Sprintf("baseline-fps/%d-viewers", n))
	b.ReportMetric(cpuRatio, fmt.Sprintf("cpu-vs-baseline/%d-viewers", n))
	benchFigure(b, id, fmt.Sprintf("live view to %d viewer(s): fps each got, and CPU per viewer-frame, unicam next to a bare Go broadcast (no goal set)", n), true,
		"unicam **%.1f fps**, %.0f µs CPU per viewer-frame; bare broadcast %.1f fps, %.0f µs: fps %.2f×, CPU **%.2f×** (30 fps 720p camera, viewers on loopback in the same machine; %v windows, medians of %d)",
		medianOf(fps[0]), medianOf(us[0]), medianOf(fps[1]), medianOf(us[1]), fpsRatio, cpuRatio, fanoutWindow, benchRuns)
}
