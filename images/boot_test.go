package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicam/toolchain/bake"
)

var (
	finishedLink = regexp.MustCompile(`href="/recordings/(video[0-9-]+\.mkv)"`)
	finishedLine = regexp.MustCompile(`finished (video[0-9-]+\.mkv) \((\d+) frames`)
)

// TestBootRecordServePowerdown is the vertical slice: bake, boot, record,
// list, download, check with ffprobe, power down cleanly, fsck the disk.
func TestBootRecordServePowerdown(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	recordServePowerdown(t, boot(t, bakedImage(t, "qemu"), "unicam.segment=10s"))
}

// TestTinyRecordsIn32MiB is the slice again with unicam's minimal kernel
// (no modules) in a 32 MiB guest, the programs paged in from its read-only
// system disk.
func TestTinyRecordsIn32MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	dir := bakedImage(t, "tiny")
	m, err := bake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.MemoryMiB != 32 || m.Kernel.Fragment == "" || m.SystemDisk == "" {
		t.Fatalf("tiny image: %d MiB, kernel %+v, system disk %q; want 32 MiB, the minimal kernel and a system disk", m.MemoryMiB, m.Kernel, m.SystemDisk)
	}
	g := boot(t, dir, "unicam.segment=10s")
	recordServePowerdown(t, g)
	// The minimal kernel also has microvm's ib700, which claims
	// /dev/watchdog on q35 too: the runtime must arm the real i6300esb.
	if !strings.Contains(g.consoleText(), "watchdog: armed (/dev/watchdog1, i6300ESB timer)") {
		t.Error("the console does not show the i6300esb watchdog (/dev/watchdog1) armed")
	}
	for _, bad := range []string{"Out of memory", "oom-kill", "page allocation failure"} {
		if strings.Contains(g.consoleText(), bad) {
			t.Errorf("console shows %q", bad)
		}
	}
}

// TestTinyOnMicrovm is the slice on QEMU's microvm machine: no PCI,
// virtio over MMIO, the ACPI power button through its generic event
// device, the ISA ib700 watchdog, the kernel's clock rate given by the
// launcher.
func TestTinyOnMicrovm(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	g := bootWith(t, bakedImage(t, "tiny"), bootOpts{DiskSize: "256M", Microvm: true}, "unicam.segment=10s")
	recordServePowerdown(t, g)
	if strings.Contains(g.consoleText(), "Marking TSC unstable") {
		t.Error("the guest kernel found its clock unstable")
	}
	if !strings.Contains(g.consoleText(), "watchdog: armed (/dev/watchdog, legacy driver)") {
		t.Error("the console does not show microvm's ib700 watchdog (/dev/watchdog) armed")
	}
}

// TestTinySystemDiskMissingOrWrong boots the tiny image without its
// system disk, then with another bake's: each time the console names the
// problem and the fix, and the guest stays up to be powered off.
func TestTinySystemDiskMissingOrWrong(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	dir := bakedImage(t, "tiny")
	other := filepath.Join(t.TempDir(), "other.erofs")
	b, err := os.ReadFile(filepath.Join(dir, "system.erofs"))
	if err != nil {
		t.Fatal(err)
	}
	b[1024+48] ^= 0xff // another UUID: the superblock's first UUID byte
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ disk, want string }{
		{"none", "attach the image's system.erofs read-only as a second disk"},
		{other, "attach the system.erofs baked with this initramfs"},
	} {
		g := bootWith(t, dir, bootOpts{DiskSize: "64M", System: tc.disk})
		g.waitFor("the console to name the missing system disk", 60*time.Second, func() bool {
			return strings.Contains(g.consoleText(), tc.want) && strings.Contains(g.consoleText(), "stays up so it can be powered off")
		})
		if err := g.vm.Powerdown(20 * time.Second); err != nil {
			t.Fatalf("system_powerdown: %v", err)
		}
	}
}

// recordServePowerdown waits for a finished recording, downloads it (401
// without credentials), checks it with ffprobe against the frames the
// recorder logged, powers the guest down and checks the disk.
func recordServePowerdown(t *testing.T, g *guest) {
	t.Helper()
	var page string
	g.waitFor("finished recording in the list", 90*time.Second, func() bool {
		code, body, err := g.get("/")
		page = string(body)
		return err == nil && code == 200 && finishedLink.MatchString(page)
	})
	name := finishedLink.FindStringSubmatch(page)[1]
	if code, _, _ := g.getAs("/recordings/"+name, "", ""); code != 401 {
		t.Errorf("download without credentials = %d, want 401", code)
	}
	if strings.Contains(g.consoleText(), guestPassword) {
		t.Error("the web password appears on the console")
	}
	code, body, err := g.get("/recordings/" + name)
	if err != nil || code != 200 {
		t.Fatalf("download %s: %d %v", name, code, err)
	}
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	probe := ffprobe(t, file)
	var frames string
	for _, m := range finishedLine.FindAllStringSubmatch(g.consoleText(), -1) {
		if m[1] == name {
			frames = m[2]
		}
	}
	if probe != "mjpeg,"+frames {
		t.Errorf("ffprobe %s = %q, want mjpeg with the %s frames the recorder logged", name, probe, frames)
	}
	t.Logf("%s: %d bytes, ffprobe %s", name, len(body), probe)

	start := time.Now()
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	t.Logf("QEMU exited %v after system_powerdown", time.Since(start).Round(time.Millisecond))
	con := g.consoleText()
	for _, want := range []string{"power: power-off requested", "camera: stopped", "reboot: Power down"} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, bad := range []string{"Kernel panic", "FAILED"} {
		if strings.Contains(con, bad) {
			t.Errorf("console shows %q", bad)
		}
	}
	e2fsck(t, g.disk)
}
