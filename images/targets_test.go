package images

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"unicam/toolchain/target"
)

// TestXenKernelBootsThroughPVH boots the xen flavour's ELF vmlinux, the
// file Xen boots, under QEMU, which enters it through the same PVH entry
// point, and checks the web page comes up.
func TestXenKernelBootsThroughPVH(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	dir := bakedImage(t, "xen")
	g := bootWith(t, dir, bootOpts{DiskSize: "256M", Kernel: filepath.Join(dir, target.VmlinuxFile)}, "unicam.segment=10s")
	g.waitFor("the page over the PVH-booted kernel", 120*time.Second, func() bool {
		code, body, err := g.get("/")
		return err == nil && code == 200 && strings.Contains(string(body), "Recordings")
	})
	if !strings.Contains(g.consoleText(), "no device here for xen_netfront, xen_blkfront, xen_wdt") {
		t.Error("console does not say the Xen drivers found no device under QEMU")
	}
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
}

var generatedPassword = regexp.MustCompile(`log in as "admin" with password (\S+) \(shown once`)

// TestISOBoots boots the hybrid ISO from a CD drive, with the BIOS and
// with UEFI (OVMF), as a user with a PC would; its command line sets no
// password, so the appliance generates one and prints it once, and that
// one logs in.
func TestISOBoots(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	for _, fw := range []struct{ name, file string }{{"BIOS", ""}, {"UEFI", "/usr/share/ovmf/OVMF.fd"}} {
		t.Run(fw.name, func(t *testing.T) { isoBoot(t, fw.file) })
	}
}

func isoBoot(t *testing.T, firmware string) {
	dir := bakedImage(t, "qemu")
	g := bootWith(t, dir, bootOpts{DiskSize: "256M", ISO: filepath.Join(dir, target.ISOFile), Firmware: firmware})
	pw := g.waitGeneratedPassword()
	g.waitFor("the page, logged in with the generated password", 60*time.Second, func() bool {
		code, body, err := g.getAs("/", "admin", pw)
		return err == nil && code == 200 && strings.Contains(string(body), "Recordings")
	})
	if code, _, _ := g.getAs("/", "admin", guestPassword); code != 401 {
		t.Errorf("a password the ISO never set was accepted: %d", code)
	}
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
}

// TestRawDiskBoots boots the raw disk image as a machine's only disk, with
// UEFI (GRUB on its EFI partition) and with SeaBIOS (GRUB's boot.img in
// the MBR, core.img in the BIOS boot partition); the kernel comes up and
// the runtime finds the data partition by its UNICAM label.
func TestRawDiskBoots(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	for name, firmware := range map[string]string{"uefi": "/usr/share/ovmf/OVMF.fd", "bios": ""} {
		t.Run(name, func(t *testing.T) { rawBoot(t, firmware) })
	}
}

func rawBoot(t *testing.T, firmware string) {
	dir := bakedImage(t, "qemu")
	g := bootWith(t, dir, bootOpts{Raw: filepath.Join(dir, target.RawFile), Firmware: firmware})
	pw := g.waitGeneratedPassword()
	if !strings.Contains(g.consoleText(), "data disk /dev/vda2 mounted on /data") {
		t.Error("the raw disk's data partition was not mounted as /data")
	}
	g.waitFor("a recording on the raw disk's data partition", 120*time.Second, func() bool {
		code, body, err := g.getAs("/", "admin", pw)
		return err == nil && code == 200 && strings.Contains(string(body), `href="/recordings/video`)
	})
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
}

// waitGeneratedPassword waits for the password a guest booted without one
// generates and prints once on its console.
func (g *guest) waitGeneratedPassword() string {
	g.t.Helper()
	var pw string
	g.waitFor("a generated password on the console", 150*time.Second, func() bool {
		m := generatedPassword.FindStringSubmatch(g.consoleText())
		if m != nil {
			pw = m[1]
		}
		return m != nil
	})
	return pw
}
