package rotation

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"unicam/app/capture"
)

// bigJPEG is a real JPEG of noise, about 2.5 MB.
func bigJPEG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 1920, 1440))
	r := rand.New(rand.NewPCG(9, 9))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSegmentOver4GiB writes one segment past 4 GiB and has ffprobe read
// every packet of it.
func TestSegmentOver4GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 4.2 GiB; run without -short")
	}
	j := bigJPEG(t)
	n := int((4<<30)/int64(len(j))) + 40
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Segment: 24 * time.Hour, MaxBytes: 8 << 30})
	for i := 0; i < n; i++ {
		f := &capture.Frame{JPEG: j, Time: t0.Add(time.Duration(i) * 40 * time.Millisecond), Width: 1920, Height: 1440}
		if err := r.write(f); err != nil {
			t.Fatal(err)
		}
		if i%25 == 24 {
			if err := r.flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.closeSegment(); err != nil {
		t.Fatal(err)
	}
	seg := r.Catalog().List()[0]
	if seg.Size <= 4<<30 || seg.Frames != int64(n) {
		t.Fatalf("segment %+v: want over 4 GiB and %d frames", seg, n)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_packets:format=duration", "-of", "csv=p=0", filepath.Join(dir, seg.Name)).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	want := fmt.Sprintf("mjpeg,%d", n)
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("ffprobe of the %d-byte file = %q, want %s", seg.Size, out, want)
	}
	os.RemoveAll(dir)
}

// BenchmarkRecordVsWrite records 720p-sized frames through the recorder
// and, in the same run, writes the same bytes sequentially to a plain
// file. "ratio" is recorder throughput over plain-write throughput
// (target ≥ 0.9).
func BenchmarkRecordVsWrite(b *testing.B) {
	frame := bigJPEG(b)[:150<<10]
	frame = append(append([]byte{}, frame...), 0xFF, 0xD9)
	const frames = 300
	var plain, rec time.Duration
	b.SetBytes(int64(len(frame) * frames))
	for b.Loop() {
		dir := b.TempDir()
		start := time.Now()
		f, _ := os.Create(filepath.Join(dir, "plain"))
		for i := 0; i < frames; i++ {
			f.Write(frame)
		}
		f.Sync()
		f.Close()
		plain += time.Since(start)

		start = time.Now()
		r, err := New(Config{Dir: dir, Segment: time.Hour, MaxBytes: 1 << 40, Location: time.UTC, Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < frames; i++ {
			r.write(&capture.Frame{JPEG: frame, Time: t0.Add(time.Duration(i) * 33 * time.Millisecond), Width: 1280, Height: 720})
			if i%30 == 29 {
				r.flush()
			}
		}
		r.closeSegment()
		r.Close()
		rec += time.Since(start)
	}
	b.ReportMetric(plain.Seconds()/rec.Seconds(), "ratio")
}

// BenchmarkRetention100k measures the bookkeeping of one new segment when
// 100,000 segments are on disk and the cap forces the oldest out: check
// the limits, delete the oldest file, add the new entry (target < 1 ms).
func BenchmarkRetention100k(b *testing.B) {
	dir := b.TempDir()
	const n = 100000
	for i := 0; i < n; i++ {
		name := SegmentName(t0.Add(time.Duration(i)*time.Minute), 0, ".mkv")
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	r, err := New(Config{Dir: dir, Segment: time.Minute, MaxBytes: n, Location: time.UTC, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	next := n
	for b.Loop() {
		if err := r.makeRoom(1); err != nil {
			b.Fatal(err)
		}
		name := SegmentName(t0.Add(time.Duration(next)*time.Minute), 0, ".mkv")
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
		r.cat.add(Segment{Name: name, Size: 1})
		next++
	}
	if r.Catalog().Len() != n {
		b.Fatalf("%d segments, want %d", r.Catalog().Len(), n)
	}
}
