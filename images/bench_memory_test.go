package images

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"unicam/toolchain/bake"
	"unicam/toolchain/datadisk"
	"unicam/toolchain/qemu"
)

// memoryStep is the resolution of the memory floor search.
const memoryStep = 8

// recordFor is how long a guest must record at its floor.
const recordFor = 60 * time.Second

// oomSigns are console lines that mean the guest ran out of memory.
var oomSigns = []string{"Initramfs unpacking failed", "Out of memory", "oom-kill", "page allocation failure", "Kernel panic"}

// memoryTry boots the image in dir with mib MiB, lets it record for
// recordFor in 10 s segments, and reports why it failed ("" when it
// booted, recorded at least five whole segments, served its page and
// never ran out of memory).
func memoryTry(tb testing.TB, dir string, m *bake.Manifest, mib int) string {
	tmp, err := os.MkdirTemp("", "unicam-mem-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	disk, console := filepath.Join(tmp, "data.img"), filepath.Join(tmp, "console.log")
	if err := datadisk.Create(tb.Context(), disk, "256M"); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	cfg := qemu.Config{Kernel: filepath.Join(dir, bake.KernelFile), Initrd: filepath.Join(dir, bake.InitramfsFile),
		Cmdline:   m.Cmdline + " unicam.password=" + guestPassword + " unicam.segment=10s",
		MemoryMiB: mib, CPUs: m.CPUs, Disk: disk, System: m.SystemPath(dir), Serial: console,
		Forwards: []qemu.Forward{{HostAddr: "127.0.0.1", HostPort: port, GuestPort: 80}}}
	vm, err := qemu.Start(cfg, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	defer vm.Kill()
	g := &guest{t: tb, vm: vm, url: fmt.Sprintf("http://127.0.0.1:%d", port), console: console}
	return memoryVerdict(g, console)
}

// memoryVerdict watches a booted guest through boot and recordFor of
// recording.
func memoryVerdict(g *guest, console string) string {
	trouble := func() string {
		b, _ := os.ReadFile(console)
		for _, s := range oomSigns {
			if i := strings.Index(string(b), s); i >= 0 {
				line, _, _ := strings.Cut(string(b[i:]), "\n")
				return "console: " + strings.TrimSpace(line[:min(len(line), 100)])
			}
		}
		select {
		case <-g.vm.Done():
			return "QEMU exited"
		default:
		}
		return ""
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(150 * time.Second)
	for {
		if why := trouble(); why != "" {
			return why
		}
		if resp, err := client.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return "no HTTP 200 within 150 s"
		}
		time.Sleep(time.Second)
	}
	for end := time.Now().Add(recordFor); time.Now().Before(end); time.Sleep(2 * time.Second) {
		if why := trouble(); why != "" {
			return why
		}
	}
	if code, _, err := g.get("/"); err != nil || code != 200 {
		return fmt.Sprintf("the page: %d %v", code, err)
	}
	var l listing
	if err := g.getJSON("/api/recordings?per_page=1000", &l); err != nil {
		return err.Error()
	}
	done := 0
	for _, r := range l.Recordings {
		if !r.Recording && r.Frames > 0 {
			done++
		}
	}
	if done < 5 {
		return fmt.Sprintf("%d finished 10 s segments after %v, want 5", done, recordFor)
	}
	return trouble()
}

// memoryFloor finds the least memory, in memoryStep MiB steps, that the
// image boots, records and serves in: a bisection between a size that
// fails and one that works, both checked. It returns the floor, the size
// below it that failed and why, and every try.
func memoryFloor(tb testing.TB, image string, low, high int) (floor, below int, why string, tries []string) {
	dir := bakedImage(tb, image)
	m, err := bake.ReadManifest(dir)
	if err != nil {
		tb.Fatal(err)
	}
	try := func(mib int) string {
		w := memoryTry(tb, dir, m, mib)
		verdict := "ok"
		if w != "" {
			verdict = w
		}
		tries = append(tries, fmt.Sprintf("%d MiB: %s", mib, verdict))
		return w
	}
	if w := try(high); w != "" {
		tb.Fatalf("%s does not run in %d MiB (%s): raise the search's upper end", image, high, w)
	}
	why = try(low)
	if why == "" {
		return low, 0, "", tries
	}
	for high-low > memoryStep {
		mid := (low + high) / 2 / memoryStep * memoryStep
		if w := try(mid); w == "" {
			high = mid
		} else {
			low, why = mid, w
		}
	}
	return high, low, why, tries
}

// BenchmarkMemoryFloor finds, for each kernel, the smallest guest (-m)
// that boots the image, records 60 s and serves its page: the qemu image
// (Debian's kernel, modules) and the tiny one (the minimal kernel). Both
// searches run at once. The goal for the minimal kernel is 32 MiB.
func BenchmarkMemoryFloor(b *testing.B) {
	type search struct {
		image, kernel string
		low, high     int
		floor, below  int
		why           string
		tries         []string
	}
	searches := []*search{{image: "qemu", kernel: "Debian's kernel", low: 32, high: 256}, {image: "tiny", kernel: "the minimal kernel", low: 32, high: 96}}
	for b.Loop() {
		var wg sync.WaitGroup
		for _, s := range searches {
			wg.Go(func() { s.floor, s.below, s.why, s.tries = memoryFloor(b, s.image, s.low, s.high) })
		}
		wg.Wait()
	}
	for _, s := range searches {
		b.ReportMetric(float64(s.floor), s.image+"-MiB")
		failed := "every size down to the search's floor worked"
		if s.below > 0 {
			failed = fmt.Sprintf("%d MiB failed: %s", s.below, s.why)
		}
		id, met := "N1", true
		goal := "no goal set"
		if s.image == "tiny" {
			id, met, goal = "N2", s.floor <= 32, "goal 32 MiB"
		}
		benchFigure(b, id, fmt.Sprintf("memory floor with %s (%s image): the least -m that boots, records %v and serves the page (%s)", s.kernel, s.image, recordFor, goal), met,
			"**%d MiB**; %s (tries: %s)", s.floor, failed, strings.Join(s.tries, "; "))
	}
}
