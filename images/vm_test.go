package images

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"unicam/toolchain/bake"
	"unicam/toolchain/datadisk"
	"unicam/toolchain/qemu"
)

// repoRoot is the repository root, found from this file.
func repoRoot(t testing.TB) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(self))
}

var (
	bakeMu   sync.Mutex
	bakeOut  string
	bakeDirs = map[string]string{}
)

// bakedImage bakes images/<name>.yaml once per test binary. UNICAM_IMAGE_DIR
// points at a folder of images already baked (by make image) to skip it.
func bakedImage(t testing.TB, name string) string {
	t.Helper()
	if d := os.Getenv("UNICAM_IMAGE_DIR"); d != "" {
		return filepath.Join(d, name)
	}
	bakeMu.Lock()
	defer bakeMu.Unlock()
	if d, ok := bakeDirs[name]; ok {
		return d
	}
	if bakeOut == "" {
		out, err := os.MkdirTemp("", "unicam-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		bakeOut = out
	}
	cache, _ := os.UserCacheDir()
	cache = filepath.Join(cache, "unicam")
	if c := os.Getenv("UNICAM_CACHE"); c != "" {
		cache = c
	}
	root := repoRoot(t)
	dir, err := bake.Run(context.Background(), bake.Opts{
		Spec: filepath.Join(root, "images", name+".yaml"), OutDir: bakeOut, CacheDir: cache, RepoDir: root, Log: io.Discard,
	})
	if err != nil {
		t.Fatalf("bake %s: %v", name, err)
	}
	bakeDirs[name] = dir
	return dir
}

// guest is one booted image under test.
type guest struct {
	t       testing.TB
	vm      *qemu.VM
	url     string
	console string
	disk    string
}

// boot starts the image with a fresh 256 MiB data disk and extra kernel
// arguments.
func boot(t *testing.T, dir string, extra ...string) *guest {
	t.Helper()
	return bootWith(t, dir, bootOpts{DiskSize: "256M"}, extra...)
}

// bootOpts vary a test boot.
type bootOpts struct {
	// DiskSize is the data disk's mke2fs size.
	DiskSize string
	// Reboot keeps QEMU running through a guest reset.
	Reboot bool
	// Kernel replaces the image's bzImage (the Xen vmlinux).
	Kernel string
	// ISO boots the CD image instead of kernel and initramfs; the
	// command line is then the ISO's own.
	ISO string
	// Firmware is a UEFI image for -bios ("" is the BIOS).
	Firmware string
	// Raw boots a copy of this whole-disk image (the raw target), its
	// only disk, instead of kernel, initramfs and a data disk.
	Raw string
	// Disk reuses this data disk image (a previous boot's) instead of a
	// fresh one.
	Disk string
	// DiskFaults and WriteErrors open the data disk through QEMU's
	// blkdebug driver with these rules, and set its werror policy (see
	// qemu.Config).
	DiskFaults, WriteErrors string
	// Tap puts the guest on a host tap device (newTap) instead of QEMU's
	// user network: clients reach it directly, as on a LAN, without
	// slirp's slow connection setup.
	Tap *tap
	// System replaces the image's system disk ("none" for no disk).
	System string
	// Microvm boots on QEMU's microvm machine (the minimal kernel only).
	Microvm bool
}

// systemDisk is the system disk to attach: the image's, or the one the
// test names ("none" for none).
func systemDisk(m *bake.Manifest, dir, override string) string {
	switch override {
	case "":
		return m.SystemPath(dir)
	case "none":
		return ""
	}
	return override
}

// tap is a host tap device with a /24 of its own: the host at .1, the
// guest at .2.
type tap struct {
	Dev, Host, Guest string
}

// newTap creates a tap device for one test and removes it afterwards. It
// needs root (CAP_NET_ADMIN and /dev/net/tun), as make test runs.
func newTap(t testing.TB) *tap {
	t.Helper()
	n := 1 + rand.IntN(250)
	tp := &tap{Dev: fmt.Sprintf("uctap%d", n), Host: fmt.Sprintf("10.213.%d.1", n), Guest: fmt.Sprintf("10.213.%d.2", n)}
	for _, args := range [][]string{
		{"tuntap", "add", "dev", tp.Dev, "mode", "tap"},
		{"addr", "add", tp.Host + "/24", "dev", tp.Dev},
		{"link", "set", tp.Dev, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			exec.Command("ip", "link", "del", tp.Dev).Run()
			t.Fatalf("ip %s: %v %s (a tap device needs root and /dev/net/tun)", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", tp.Dev).Run() })
	return tp
}

// bootDisk is boot with a data disk of the given mke2fs size.
func bootDisk(t *testing.T, dir, diskSize string, extra ...string) *guest {
	t.Helper()
	return bootWith(t, dir, bootOpts{DiskSize: diskSize}, extra...)
}

// bootWith starts the image as o says.
func bootWith(t *testing.T, dir string, o bootOpts, extra ...string) *guest {
	t.Helper()
	m, err := bake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	g := &guest{t: t, console: filepath.Join(tmp, "console.log"), disk: filepath.Join(tmp, "data.img")}
	if o.Disk != "" {
		g.disk = o.Disk
	} else if o.Raw != "" {
		if out, err := exec.Command("cp", "--sparse=always", o.Raw, g.disk).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v %s", o.Raw, err, out)
		}
	} else if err := datadisk.Create(context.Background(), g.disk, o.DiskSize); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	g.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	if o.Tap != nil {
		g.url = "http://" + o.Tap.Guest + ":80"
		extra = append(extra, "unicam.ip="+o.Tap.Guest+"/24")
	}
	kernel := filepath.Join(dir, bake.KernelFile)
	if o.Kernel != "" {
		kernel = o.Kernel
	}
	cfg := qemu.Config{
		Kernel: kernel, Initrd: filepath.Join(dir, bake.InitramfsFile), ISO: o.ISO, Firmware: o.Firmware, Boot: o.Raw != "",
		Cmdline:   strings.Join(append([]string{m.Cmdline, "unicam.password=" + guestPassword}, extra...), " "),
		MemoryMiB: m.MemoryMiB, CPUs: m.CPUs, Disk: g.disk, System: systemDisk(m, dir, o.System), KVM: qemu.KVMWorks(""),
		Microvm:  o.Microvm,
		Forwards: []qemu.Forward{{HostAddr: "127.0.0.1", HostPort: port, GuestPort: 80}}, Tap: tapDev(o.Tap),
		DiskFaults: o.DiskFaults, WriteErrors: o.WriteErrors,
		QMP: filepath.Join(tmp, "qmp.sock"), Serial: g.console, Reboot: o.Reboot,
	}
	if cfg.NeedsTSC() {
		if cfg.TSCkHz, err = qemu.HostTSCkHz(); err != nil {
			t.Fatalf("microvm under software emulation needs the host's TSC rate: %v", err)
		}
	}
	t.Logf("qemu: %s", qemu.Quote(qemu.Args(cfg)))
	if g.vm, err = qemu.Start(cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-g.vm.Done():
		default:
			g.vm.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(g.console)
			t.Logf("guest console:\n%s", b)
		}
	})
	return g
}

func tapDev(t *tap) string {
	if t == nil {
		return ""
	}
	return t.Dev
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls until cond returns true, QEMU exits, or the deadline.
func (g *guest) waitFor(what string, limit time.Duration, cond func() bool) {
	g.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		select {
		case <-g.vm.Done():
			g.t.Fatalf("QEMU exited (%v) while waiting for %s", g.vm.Err(), what)
		default:
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("no %s within %v", what, limit)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// guestPassword is the web password the tests boot guests with.
const guestPassword = "e2e-password-7f3a"

// get fetches a path from the guest's web interface, logged in.
func (g *guest) get(path string) (int, []byte, error) {
	return g.getAs(path, "admin", guestPassword)
}

// getAs fetches a path with the given Basic credentials ("" for none).
func (g *guest) getAs(path, user, pass string) (int, []byte, error) {
	c := http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest("GET", g.url+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (g *guest) consoleText() string {
	b, _ := os.ReadFile(g.console)
	return string(b)
}

// ffprobe returns "codec,frames" of the first video stream of file.
func ffprobe(t *testing.T, file string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	return strings.TrimSpace(string(out))
}

func e2fsck(t *testing.T, disk string) {
	t.Helper()
	out, err := exec.Command("/usr/sbin/e2fsck", "-fn", disk).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn %s: %v\n%s", disk, err, out)
	}
}
