package web

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"unicam/app/capture"
	"unicam/app/rotation"
)

func frame720p(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	for y := 0; y < 720; y++ {
		for x := 0; x < 1280; x++ {
			img.Set(x, y, color.RGBA{byte(x ^ y), byte(x * 3), byte(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

func benchServer(b *testing.B, dir string, hub *capture.Hub, viewers int) *httptest.Server {
	rec, err := rotation.New(rotation.Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 40, Location: time.UTC, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rec.Close() })
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	creds, _, _ := LoadCredentials("admin", "", string(hash), dir)
	s, err := New(Options{Recordings: rec.Catalog(), Files: rec.Root(), Deleter: rec, Live: hub, Credentials: creds,
		MaxViewers: viewers, Status: func() Status { return Status{} }, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkLiveViewers100 serves a 720p 30 fps stream to 100 concurrent
// viewers on loopback for 3 s while a recorder-like subscriber drains the
// hub. It reports the slowest viewer's fps (target ≥ 29), the frames the
// recorder lost (target 0) and the CPU time per viewer-frame.
func BenchmarkLiveViewers100(b *testing.B) {
	const viewers, fps, secs = 100, 30, 3
	jpg := frame720p(b)
	for b.Loop() {
		hub := capture.NewHub()
		srv := benchServer(b, b.TempDir(), hub, viewers)
		rec := hub.Subscribe(64)
		go func() {
			for range rec.C {
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), (secs+2)*time.Second)
		counts := make([]atomic.Int64, viewers)
		var wg sync.WaitGroup
		for i := 0; i < viewers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/stream.mjpg", nil)
				req.SetBasicAuth("admin", testPassword)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				fr := capture.NewFrameReader(bufio.NewReader(resp.Body), 0)
				for {
					if _, err := fr.Next(); err != nil {
						return
					}
					counts[i].Add(1)
				}
			}(i)
		}
		time.Sleep(time.Second) // all viewers connected
		for i := range counts {
			counts[i].Store(0)
		}
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		tick := time.NewTicker(time.Second / fps)
		for n := 0; n < fps*secs; n++ {
			<-tick.C
			hub.Publish(&capture.Frame{JPEG: jpg, Time: time.Now()})
		}
		tick.Stop()
		time.Sleep(200 * time.Millisecond)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cancel()
		wg.Wait()
		rec.Cancel()
		minFrames, total := int64(1<<62), int64(0)
		for i := range counts {
			minFrames = min(minFrames, counts[i].Load())
			total += counts[i].Load()
		}
		cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
		b.ReportMetric(float64(minFrames)/secs, "min-viewer-fps")
		b.ReportMetric(float64(rec.Dropped()), "recorder-dropped")
		if total > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/viewer-frame")
		}
	}
}

// BenchmarkDownload1GiB downloads a 1 GiB recording over loopback and, in
// the same run, reads the same file through `cat` into this process (a
// pipe; cat to /dev/null would measure no consumer at all). "ratio" is
// download throughput over cat's (target ≥ 0.9).
func BenchmarkDownload1GiB(b *testing.B) {
	dir := b.TempDir()
	name := "video2026-03-17-13-24-38.mkv"
	f, _ := os.Create(filepath.Join(dir, name))
	chunk := bytes.Repeat([]byte("unicam0123456789"), 1<<16)
	for i := 0; i < (1<<30)/len(chunk); i++ {
		f.Write(chunk)
	}
	f.Close()
	srv := benchServer(b, dir, capture.NewHub(), 1)
	exec.Command("cat", filepath.Join(dir, name)).Run() // warm the page cache
	var catT, dlT time.Duration
	b.SetBytes(1 << 30)
	for b.Loop() {
		start := time.Now()
		cat := exec.Command("cat", filepath.Join(dir, name))
		out, _ := cat.StdoutPipe()
		if err := cat.Start(); err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, out)
		if err := cat.Wait(); err != nil {
			b.Fatal(err)
		}
		catT += time.Since(start)
		start = time.Now()
		req, _ := http.NewRequest("GET", srv.URL+"/recordings/"+name, nil)
		req.SetBasicAuth("admin", testPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != 1<<30 {
			b.Fatalf("downloaded %d bytes", n)
		}
		dlT += time.Since(start)
	}
	b.ReportMetric(catT.Seconds()/dlT.Seconds(), "ratio")
}
