package images

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"unicam/app/rotation"
	"unicam/toolchain/datadisk"
)

// seqMark is the test pattern's sequence comment in every frame.
var seqMark = regexp.MustCompile(`unicam-seq=(\d+)`)

// seqs lists the sequence numbers of the frames in a recording's bytes.
func seqs(b []byte) []int {
	var out []int
	for _, m := range seqMark.FindAllSubmatch(b, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		out = append(out, n)
	}
	return out
}

// listed is one recording in /api/recordings.
type listed struct {
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	Frames    int64     `json:"frames"`
	Size      int64     `json:"size"`
	Recording bool      `json:"recording"`
}

// listing is /api/recordings as the tests read it.
type listing struct {
	Recordings []listed `json:"recordings"`
}

// bootedAt is the guest's boot time by its own clock, from /api/status.
func (g *guest) bootedAt() time.Time {
	g.t.Helper()
	var st struct {
		Booted time.Time `json:"booted"`
	}
	if err := g.getJSON("/api/status", &st); err != nil || st.Booted.IsZero() {
		g.t.Fatalf("/api/status has no boot time: %v", err)
	}
	return st.Booted
}

func (g *guest) recordings() (listing, error) {
	var l listing
	return l, g.getJSON("/api/recordings?per_page=1000", &l)
}

// getJSON fetches path, logged in, into v.
func (g *guest) getJSON(path string, v any) error {
	code, body, err := g.get(path)
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("GET %s: status %d", path, code)
	}
	return json.Unmarshal(body, v)
}

// powerLossArgs record the numbered test pattern into 2 s segments under
// a 1 MiB cap, so retention deletes a segment every few seconds and a
// random kill lands in writing, flushing, finishing or evicting.
var powerLossArgs = []string{"unicam.sequence=true", "unicam.segment=2s", "unicam.max-bytes=1MiB", "unicam.fps=5"}

const (
	powerLossFPS = 5
	powerLossCap = 1 << 20
)

// TestR1PowerLoss pulls the plug (SIGKILL to QEMU) at random moments
// while the tiny image records, and checks after every loss: the
// filesystem is clean after journal replay (on the host, on a copy),
// every closed segment is whole (consecutive sequence numbers, and
// ffprobe counts the same frames), at most the last second of the open
// segment is lost, the catalog was rebuilt under the cap, and recording
// resumed within 10 s of QEMU starting.
func TestR1PowerLoss(t *testing.T) {
	vmTest(t)
	loops := 10
	if fullSuite() {
		loops = 200
	}
	dir := bakedImage(t, "tiny")
	disk := filepath.Join(t.TempDir(), "data.img")
	if err := datadisk.Create(context.Background(), disk, "64M"); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	pl := &powerLoss{t: t, disk: disk, checked: map[string]bool{}}
	// A loop that breaks a promise is counted and the run goes on, so the
	// long suite reports how often; a broken harness stops it (Fatal).
	for i := range loops {
		pl.loop(i, dir, time.Duration(500+rng.IntN(5500))*time.Millisecond)
	}
	sort.Slice(pl.resumed, func(a, b int) bool { return pl.resumed[a] < pl.resumed[b] })
	figure(t, "R1", "power loss (SIGKILL while recording and evicting)",
		"%d losses (%d lost more than 1 s); %d closed segments checked whole; max lost %.1f s of the open segment; recording resumed %.1f s median, %.1f s max after boot (guest clock; web interface answered ≤ %.1f s after QEMU started); fsck clean after every replay",
		len(pl.resumed), pl.overLost, len(pl.checked), pl.maxLost, pl.resumed[len(pl.resumed)/2].Seconds(), pl.resumed[len(pl.resumed)-1].Seconds(), pl.web.Seconds())
}

// powerLoss carries what one loop leaves for the next.
type powerLoss struct {
	t       *testing.T
	disk    string
	checked map[string]bool
	resumed []time.Duration
	maxLost float64
	// overLost counts kills that lost more than a second.
	overLost int
	// web is the longest wait from QEMU's start to the first answer.
	web time.Duration
	// since is the first frame of this boot's recording, and expect the
	// sequence number the source had reached at the kill.
	since  time.Time
	expect float64
}

func (pl *powerLoss) loop(i int, dir string, after time.Duration) {
	t := pl.t
	start := time.Now()
	g := bootWith(t, dir, bootOpts{Disk: pl.disk}, powerLossArgs...)
	pl.lastListing(g)
	web := time.Since(start)
	var first listed
	g.waitFor("recording after boot", 60*time.Second, func() bool {
		l, err := g.recordings()
		i := slices.IndexFunc(l.Recordings, func(r listed) bool { return r.Recording && r.Frames > 0 })
		if err == nil && i >= 0 {
			first = l.Recordings[i]
		}
		return i >= 0
	})
	// By the guest's own clock: from the kernel's start to the first frame
	// of the new recording. Under software emulation the wall time on the
	// host adds seconds of QEMU setup and of answering the first request.
	took := first.Start.Sub(g.bootedAt())
	pl.resumed = append(pl.resumed, took)
	pl.since = first.Start
	pl.web = max(pl.web, web)
	if took > 10*time.Second {
		t.Errorf("loop %d: recording resumed %v after boot, want ≤ 10 s", i, took.Round(100*time.Millisecond))
	}
	pl.checkAfterBoot(g, i)
	time.Sleep(after)
	code, snap, err := g.get("/snapshot.jpg")
	if err != nil || code != 200 {
		t.Fatalf("loop %d: snapshot: %d %v", i, code, err)
	}
	snapAt := time.Now()
	g.vm.Kill()
	killed := time.Now()
	if s := seqs(snap); len(s) == 1 {
		pl.expect = float64(s[0]) + killed.Sub(snapAt).Seconds()*powerLossFPS
	}
	pl.checkDisk(i)
}

// lastListing is the recordings the guest lists once its web server is up.
func (pl *powerLoss) lastListing(g *guest) (listing, error) {
	var l listing
	var err error
	g.waitFor("the web interface", 60*time.Second, func() bool {
		l, err = g.recordings()
		return err == nil
	})
	return l, err
}

// checkAfterBoot checks the catalog rebuilt from the disk: under the cap.
func (pl *powerLoss) checkAfterBoot(g *guest, i int) {
	t := pl.t
	l, err := g.recordings()
	if err != nil {
		t.Fatalf("loop %d: list: %v", i, err)
	}
	var total int64
	for _, r := range l.Recordings {
		total += r.Size
	}
	if total > powerLossCap {
		t.Errorf("loop %d: recordings hold %d bytes, over the %d cap", i, total, powerLossCap)
	}
}

// checkDisk replays the journal on a copy of the disk, as the kernel will
// at the next boot, checks the filesystem, and checks every closed segment
// not seen before.
func (pl *powerLoss) checkDisk(i int) {
	t := pl.t
	tmp := t.TempDir()
	cp := filepath.Join(tmp, "copy.img")
	if out, err := exec.Command("cp", "--sparse=always", pl.disk, cp).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	// -p replays the journal and fixes only what is safe: exit 0 or 1.
	if out, err := exec.Command("/usr/sbin/e2fsck", "-fp", cp).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("loop %d: e2fsck -fp after the kill: %v\n%s", i, err, out)
		}
	}
	e2fsck(t, cp)
	names := dumpRecordings(t, cp)
	kept := 0
	for _, f := range names {
		base := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := seqs(b)
		if p, ok := rotation.ParseName(base, time.UTC); ok && !p.Start.Before(pl.since.Truncate(time.Second)) && len(s) > 0 {
			kept = max(kept, s[len(s)-1])
		}
		if strings.HasSuffix(base, rotation.PartialSuffix) || pl.checked[base] {
			continue
		}
		pl.checked[base] = true
		for k := 1; k < len(s); k++ {
			if s[k] != s[k-1]+1 {
				t.Errorf("loop %d: closed segment %s skips from frame %d to %d", i, base, s[k-1], s[k])
				break
			}
		}
		if p := ffprobe(t, f); p != "mjpeg,"+strconv.Itoa(len(s)) {
			t.Errorf("loop %d: closed segment %s: ffprobe %q, %d numbered frames", i, base, p, len(s))
		}
	}
	lost := (pl.expect - float64(kept)) / powerLossFPS
	t.Logf("loop %d: frames up to %d of about %.0f at the kill survived: %.1f s lost", i, kept, pl.expect, lost)
	pl.maxLost = max(pl.maxLost, lost)
	if lost > 1+1.0/powerLossFPS {
		pl.overLost++
		t.Errorf("loop %d: %.1f s of recording lost at the kill, want ≤ 1 s", i, lost)
	}
}

// dumpRecordings copies the recordings out of a data disk image, without
// root or mounting (debugfs), and returns their paths.
func dumpRecordings(t *testing.T, img string) []string {
	t.Helper()
	files := t.TempDir()
	if out, err := exec.Command("/usr/sbin/debugfs", "-R", "rdump / "+files, img).CombinedOutput(); err != nil {
		t.Fatalf("debugfs rdump: %v %s", err, out)
	}
	names, _ := filepath.Glob(filepath.Join(files, "video*"))
	return names
}

// TestR2GracefulPowerOff presses the ACPI power button while a segment is
// open: QEMU must be gone within 10 s, the filesystem clean without a
// journal to replay, and the open segment finished and playable.
func TestR2GracefulPowerOff(t *testing.T) {
	vmTest(t)
	g := boot(t, bakedImage(t, "qemu"), "unicam.segment=1h")
	g.waitFor("an open recording with frames on disk", 90*time.Second, func() bool {
		l, err := g.recordings()
		return err == nil && slices.ContainsFunc(l.Recordings, func(r listed) bool { return r.Recording && r.Frames >= 10 })
	})
	start := time.Now()
	if err := g.vm.Powerdown(10 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	gone := time.Since(start)
	out, err := exec.Command("/usr/sbin/dumpe2fs", "-h", g.disk).CombinedOutput()
	if err != nil {
		t.Fatalf("dumpe2fs: %v %s", err, out)
	}
	if strings.Contains(string(out), "needs_recovery") {
		t.Error("the filesystem needs journal recovery after a clean power-off")
	}
	e2fsck(t, g.disk)
	m := finishedLine.FindAllStringSubmatch(g.consoleText(), -1)
	if len(m) == 0 {
		t.Fatal("the open segment was not finished at power-off")
	}
	last := m[len(m)-1]
	var probe string
	for _, f := range dumpRecordings(t, g.disk) {
		if strings.HasSuffix(f, rotation.PartialSuffix) {
			t.Errorf("%s left unfinished", filepath.Base(f))
		}
		if filepath.Base(f) == last[1] {
			probe = ffprobe(t, f)
		}
	}
	if probe != "mjpeg,"+last[2] {
		t.Errorf("%s: ffprobe %q, want mjpeg with the %s frames the recorder logged", last[1], probe, last[2])
	}
	figure(t, "R2", "graceful power-off (ACPI button) with a segment open",
		"QEMU gone %.1f s after system_powerdown; %s finished with %s frames, ffprobe %s; no needs_recovery flag; e2fsck -fn clean",
		gone.Seconds(), last[1], last[2], probe)
}
