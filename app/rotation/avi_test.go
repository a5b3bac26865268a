package rotation

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"unicam/app/capture"
)

func TestAVIContainer(t *testing.T) {
	r := newRecorder(t, Config{Container: "avi", Segment: 5 * time.Second, MaxBytes: 1 << 30})
	feed(t, r, 80, 10)
	segs := r.Catalog().List()
	if len(segs) != 2 || !strings.HasSuffix(segs[1].Name, ".avi") || segs[1].Frames != 50 {
		t.Fatalf("segments %+v", segs)
	}
	probeFrames(t, filepath.Join(r.cfg.Dir, segs[1].Name), 50)
	again := newRecorder(t, Config{Dir: r.cfg.Dir, Container: "avi", Segment: 5 * time.Second, MaxBytes: 1 << 30}).Catalog().List()
	if again[1].Frames != 50 || again[1].Duration() < 4900*time.Millisecond || again[1].Duration() > 5100*time.Millisecond {
		t.Errorf("catalog rebuilt from the AVI header: %+v (duration %v), want 50 frames, 5 s", again[1], again[1].Duration())
	}
	out, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=r_frame_rate", "-of", "csv=p=0", filepath.Join(r.cfg.Dir, segs[1].Name)).Output()
	if !strings.HasPrefix(string(out), "10/1") {
		t.Errorf("frame rate %q, want the 10 fps recorded", out)
	}
}

// TestAVIRepair cuts an unfinished AVI at random points and checks the
// repair keeps every complete frame and gives a file ffprobe reads.
func TestAVIRepair(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Container: "avi", Segment: time.Hour, MaxBytes: 1 << 30})
	var ends []int64
	for i := 0; i < 60; i++ {
		r.write(jpegFrame(t, i, t0.Add(time.Duration(i)*100*time.Millisecond)))
		r.flush()
		ends = append(ends, r.seg.c.size())
	}
	data, _ := os.ReadFile(filepath.Join(dir, r.seg.name+PartialSuffix))
	rng := rand.New(rand.NewPCG(3, 3))
	name := "video2026-03-17-13-24-38.avi"
	for i := 0; i < 60; i++ {
		cut := ends[0] + rng.Int64N(int64(len(data))-ends[0]+1)
		want := 0
		for _, e := range ends {
			if e <= cut {
				want++
			}
		}
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, name+PartialSuffix), data[:cut], 0o644)
		r2 := newRecorder(t, Config{Dir: d, Container: "avi", Segment: time.Hour, MaxBytes: 1 << 30})
		segs := r2.Catalog().List()
		if len(segs) != 1 || segs[0].Frames != int64(want) {
			t.Fatalf("cut at %d: %+v, want %d frames", cut, segs, want)
		}
		if i%15 == 0 {
			probeFrames(t, filepath.Join(d, name), want)
		}
	}
}

// TestAVIOver1GiB writes an AVI past the 1 GiB RIFF limit (OpenDML AVIX
// extension) and has ffprobe count every packet.
func TestAVIOver1GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1.1 GiB; run without -short")
	}
	j := bigJPEG(t)
	n := int((1100<<20)/int64(len(j))) + 1
	dir := t.TempDir()
	r := newRecorder(t, Config{Dir: dir, Container: "avi", Segment: 24 * time.Hour, MaxBytes: 8 << 30})
	for i := 0; i < n; i++ {
		if err := r.write(&capture.Frame{JPEG: j, Time: t0.Add(time.Duration(i) * 40 * time.Millisecond), Width: 1920, Height: 1440}); err != nil {
			t.Fatal(err)
		}
		if i%25 == 24 {
			r.flush()
		}
	}
	if err := r.closeSegment(); err != nil {
		t.Fatal(err)
	}
	seg := r.Catalog().List()[0]
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_packets", "-of", "csv=p=0", filepath.Join(dir, seg.Name)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "mjpeg,"+strconv.Itoa(n) || seg.Size < 1<<30 {
		t.Errorf("ffprobe of the %d-byte AVI = %q %v, want mjpeg,%d", seg.Size, out, err, n)
	}
	os.RemoveAll(dir)
}
