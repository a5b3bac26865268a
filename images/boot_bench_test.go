package images

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/u-root/mkuimage/cpio"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"

	"unicam/toolchain/bake"
	"unicam/toolchain/qemu"
)

// trivialInitramfs builds an initramfs whose /init only prints a marker
// and powers off.
func trivialInitramfs(b *testing.B) string {
	dir := b.TempDir()
	bin := filepath.Join(dir, "init")
	cmd := exec.Command("go", "build", "-o", bin, "./images/testdata/trivialinit")
	cmd.Dir = repoRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build trivial init: %v\n%s", err, out)
	}
	base, _ := cpio.ArchiveFromRecords([]cpio.Record{cpio.Directory("dev", 0o755), cpio.CharDev("dev/console", 0o600, 5, 1)})
	out := filepath.Join(dir, "trivial.cpio")
	err := uimage.Create(llog.New(0, llog.WritePrintf(io.Discard)), uimage.WithBaseArchive(base), uimage.WithFiles(bin+":init"),
		uimage.WithSkipLDD(), uimage.WithTempDir(dir), uimage.WithCPIOOutput(out))
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// waitConsole waits for marker on a console file and returns when it came.
func waitConsole(b *testing.B, path, marker string, limit time.Duration) time.Time {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if f, err := os.ReadFile(path); err == nil && strings.Contains(string(f), marker) {
			return time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("no %q on the console within %v", marker, limit)
	return time.Time{}
}

// BenchmarkBootToHTTP boots, in the same run, an image until its first
// HTTP 200 and the same kernel with a trivial init until that init
// prints, both under the same QEMU settings, benchRuns times each in
// turns: the qemu image (Debian's kernel, modules loaded at boot) and the
// tiny one (the minimal kernel, drivers built in). "ratio" is the median
// appliance boot over the median trivial one (goal ≤ 1.3); "shim-ms" is
// the median of the runtime's own boot steps on the way to the app,
// module loading, network and NTP excluded (goal ≤ 100), and
// "shim-bg-ms" those that ran beside them (the power-button watch).
func BenchmarkBootToHTTP(b *testing.B) {
	for i, image := range []string{"qemu", "tiny"} {
		b.Run(image, func(b *testing.B) { benchBoot(b, image, fmt.Sprintf("B%d", i+1)) })
	}
}

func benchBoot(b *testing.B, image, id string) {
	dir := bakedImage(b, image)
	m, err := bake.ReadManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	trivial := trivialInitramfs(b)
	var app, base, shim, shimBG []float64
	for b.Loop() {
		for range benchRuns {
			a, fg, bg := bootToHTTP(b, dir, m.Cmdline)
			app, shim, shimBG = append(app, a.Seconds()), append(shim, fg), append(shimBG, bg)
			start := time.Now()
			t := bootBench(b, dir, trivial, m.Cmdline)
			base = append(base, waitConsole(b, t.console, "TRIVIAL-INIT-UP", 3*time.Minute).Sub(start).Seconds())
			t.vm.Kill()
		}
	}
	ratio := medianOf(app) / medianOf(base)
	b.ReportMetric(medianOf(app), "app-s")
	b.ReportMetric(medianOf(base), "trivial-s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(medianOf(shim), "shim-ms")
	b.ReportMetric(medianOf(shimBG), "shim-bg-ms")
	benchFigure(b, id, fmt.Sprintf("boot to the first HTTP 200, %s image (%s), over the same kernel reaching a trivial init (goal ≤ 1.3×)", image, kernelName(m)), ratio <= 1.3,
		"**%.2f×**: %.1f s vs %.1f s (medians of %d, QEMU under software emulation, 512 MiB)", ratio, medianOf(app), medianOf(base), benchRuns)
	benchFigure(b, id+"s", fmt.Sprintf("the runtime's own boot steps on the way to the app, %s image, modules, network and NTP excluded (goal ≤ 100 ms)", image), medianOf(shim) <= 100,
		"**%.0f ms** (median of %d; each run's steps summed), plus %.0f ms beside them (power-button watch)", medianOf(shim), benchRuns, medianOf(shimBG))
}

// bootToHTTP boots the image once until /healthz answers 200, and
// returns the time that took and the shim's own step times.
func bootToHTTP(b *testing.B, dir, cmdline string) (time.Duration, float64, float64) {
	// A short timeout per try: QEMU's port forward accepts at once and
	// holds a connection the guest cannot answer yet, which would
	// otherwise count seconds of waiting against the appliance.
	client := &http.Client{Timeout: 250 * time.Millisecond}
	start := time.Now()
	g := bootBench(b, dir, filepath.Join(dir, bake.InitramfsFile), cmdline)
	defer g.vm.Kill()
	for {
		resp, err := client.Get(g.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 3*time.Minute {
			b.Fatal("no HTTP 200 within 3 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	fg, bg := shimMillis(b, g)
	return took, fg, bg
}

// kernelName says which kernel an image has.
func kernelName(m *bake.Manifest) string {
	if m.Kernel.Fragment != "" {
		return "the minimal kernel"
	}
	return "Debian's kernel"
}

func bootBench(b *testing.B, dir, initrd, cmdline string) *guest {
	tmp := b.TempDir()
	g := &guest{console: filepath.Join(tmp, "console.log"), disk: filepath.Join(tmp, "data.img")}
	exec.Command("/usr/sbin/mke2fs", "-q", "-t", "ext4", "-L", "UNICAM", g.disk, "64M").Run()
	l, _ := (&net.ListenConfig{}).Listen(b.Context(), "tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	g.url = "http://127.0.0.1:" + strconv.Itoa(port)
	m, err := bake.ReadManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg := qemu.Config{Kernel: filepath.Join(dir, bake.KernelFile), Initrd: initrd, System: m.SystemPath(dir), Cmdline: cmdline + " unicam.password=bench-password-1",
		MemoryMiB: 512, CPUs: 2, Disk: g.disk, Forwards: []qemu.Forward{{HostAddr: "127.0.0.1", HostPort: port, GuestPort: 80}},
		Serial: g.console}
	if g.vm, err = qemu.Start(cfg, io.Discard); err != nil {
		b.Fatal(err)
	}
	return g
}

// shimMillis sums the runtime's own boot steps from /api/status.
func shimMillis(b *testing.B, g *guest) (fg, bg float64) {
	req, _ := http.NewRequest("GET", g.url+"/api/status", nil)
	req.SetBasicAuth("admin", "bench-password-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Boot []struct {
			Name       string        `json:"name"`
			Duration   time.Duration `json:"duration_ns"`
			Background bool          `json:"background"`
		} `json:"boot"`
	}
	json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&st)
	for _, s := range st.Boot {
		ms := float64(s.Duration.Microseconds()) / 1000
		switch {
		case s.Name == "modules" || s.Name == "network" || s.Name == "ntp":
		case s.Background:
			bg += ms
		default:
			fg += ms
		}
	}
	return fg, bg
}
