package capture

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// stream720p is a multipart MJPEG stream of 720p frames, as a camera sends.
func stream720p(b *testing.B, frames int) []byte {
	var s bytes.Buffer
	for i := 0; i < frames; i++ {
		j := testJPEG(b, 1280, 720, i%5+1)
		fmt.Fprintf(&s, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
		s.Write(j)
		s.WriteString("\r\n")
	}
	return s.Bytes()
}

// BenchmarkMJPEGOverHTTP measures, in the same run, a plain io.Copy of a
// 720p MJPEG stream from a loopback server to io.Discard, and the same
// bytes parsed and delivered as frames by HTTPCamera. The "ratio" metric is
// parse throughput over copy throughput (target ≥ 0.8).
func BenchmarkMJPEGOverHTTP(b *testing.B) {
	stream := stream720p(b, 30)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		w.Write(stream)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	var copyTime, parseTime time.Duration
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		start := time.Now()
		resp, err := http.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		copyTime += time.Since(start)

		start = time.Now()
		cam := &HTTPCamera{URL: u, Logger: log.New(io.Discard, "", 0), MinBackoff: time.Hour}
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		cam.Run(ctx, func(*Frame) {
			if n++; n == 30 {
				cancel()
			}
		})
		parseTime += time.Since(start)
	}
	b.ReportMetric(copyTime.Seconds()/parseTime.Seconds(), "ratio")
}

// BenchmarkFrameReader reports the steady-state allocations of the parser
// per frame (the buffer is reused; target about 0).
func BenchmarkFrameReader(b *testing.B) {
	stream := stream720p(b, 10)
	r := bytes.NewReader(stream)
	fr := NewFrameReader(r, 0)
	b.SetBytes(int64(len(stream) / 10))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fr.Next(); err != nil {
			r.Reset(stream)
			if _, err := fr.Next(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
