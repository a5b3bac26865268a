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
	"runtime"
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
//
// Frames go through a Hub to one releasing subscriber, as they do to the
// recorder; "allocs/frame" and "B/frame" are the process's heap
// allocations (the loopback server's included) per delivered frame, next
// to the frame's own size (target about 0: frame buffers come back
// through the pool).
func BenchmarkMJPEGOverHTTP(b *testing.B) {
	const distinct, repeats = 30, 10
	stream := stream720p(b, distinct)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for range repeats {
			w.Write(stream)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	var copyTime, parseTime time.Duration
	var mallocs, allocBytes uint64
	// One camera for the whole run, as on the appliance: it reconnects
	// for every iteration and keeps its frame pool.
	cam := &HTTPCamera{URL: u, Logger: log.New(io.Discard, "", 0), MinBackoff: time.Hour}
	var ms runtime.MemStats
	b.SetBytes(int64(len(stream)) * repeats)
	for b.Loop() {
		start := time.Now()
		resp, err := http.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		copyTime += time.Since(start)

		runtime.ReadMemStats(&ms)
		before, beforeBytes := ms.Mallocs, ms.TotalAlloc
		start = time.Now()
		parseThroughHub(cam, distinct*repeats)
		parseTime += time.Since(start)
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - before
		allocBytes += ms.TotalAlloc - beforeBytes
	}
	b.ReportMetric(copyTime.Seconds()/parseTime.Seconds(), "ratio")
	b.ReportMetric(float64(mallocs)/float64(b.N*distinct*repeats), "allocs/frame")
	b.ReportMetric(float64(allocBytes)/float64(b.N*distinct*repeats), "B/frame")
	b.ReportMetric(float64(len(stream))/distinct, "frame-bytes")
}

// parseThroughHub streams n frames from cam into a hub whose one
// subscriber, standing in for the recorder, releases each frame as it
// arrives.
func parseThroughHub(cam *HTTPCamera, n int) {
	hub := NewHub()
	sub := hub.Subscribe(64)
	drained := make(chan struct{})
	go func() {
		for f := range sub.C {
			f.Release()
		}
		close(drained)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	cam.Run(ctx, func(f *Frame) {
		hub.Publish(f)
		if seen++; seen == n {
			cancel()
		}
	})
	sub.Cancel()
	<-drained
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
