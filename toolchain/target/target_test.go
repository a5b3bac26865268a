package target

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestXLConfig(t *testing.T) {
	cfg := XLConfig(XLParams{Name: "unicam-xen", Dir: "/var/lib/unicam/xen", Kernel: "vmlinux", Ramdisk: "initramfs.cpio.gz",
		Cmdline: `console=hvc0 unicam.hostname="cam 1"`, MemoryMiB: 256, CPUs: 2, Bridge: "xenbr0", Disk: "data.img"})
	for _, want := range []string{
		`type = "pvh"`, `kernel = "/var/lib/unicam/xen/vmlinux"`, `ramdisk = "/var/lib/unicam/xen/initramfs.cpio.gz"`,
		`extra = "console=hvc0 unicam.hostname=\"cam 1\""`, "memory = 256", "vcpus = 2", `vif = [ "bridge=xenbr0" ]`,
		`target=/var/lib/unicam/xen/data.img`, `on_crash = "restart"`, `on_watchdog = "restart"`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("xl.cfg lacks %s:\n%s", want, cfg)
		}
	}
}

// TestDomainXMLValidates checks the libvirt domain with libvirt's own
// schema validator.
func TestDomainXMLValidates(t *testing.T) {
	b, err := DomainXML(Inputs{Name: "qemu", Kernel: "vmlinuz", Initramfs: "initramfs.cpio.gz", Cmdline: "console=ttyS0", MemoryMiB: 512, CPUs: 2}, "/var/lib/unicam/qemu")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), DomainFile)
	os.WriteFile(p, b, 0o644)
	out, err := exec.Command("virt-xml-validate", p, "domain").CombinedOutput()
	if err != nil {
		t.Fatalf("virt-xml-validate: %v\n%s\n%s", err, out, b)
	}
}

func TestGrubConfigAndRegistry(t *testing.T) {
	g := GrubConfig("qemu", "vmlinuz", "initramfs.cpio.gz", "console=ttyS0 quiet")
	if !strings.Contains(g, "linux /boot/vmlinuz console=ttyS0 quiet") || !strings.Contains(g, "initrd /boot/initramfs.cpio.gz") {
		t.Errorf("grub.cfg:\n%s", g)
	}
	if _, err := Lookup("vmware"); err == nil || !strings.Contains(err.Error(), "iso, libvirt, qemu, raw, xen") {
		t.Errorf("Lookup(vmware) = %v", err)
	}
}

func TestSfdiskScript(t *testing.T) {
	s := SfdiskScript()
	for _, want := range []string{"label: gpt", "start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "start=133120, type=0FC63DAF"} {
		if !strings.Contains(s, want) {
			t.Errorf("sfdisk script lacks %q:\n%s", want, s)
		}
	}
	if g := RawGrubConfig("vmlinuz", "initramfs.cpio.gz", "console=ttyS0"); !strings.Contains(g, "search --no-floppy --file --set=root /vmlinuz") {
		t.Errorf("grub.cfg:\n%s", g)
	}
}

func TestPatchBIOSBoot(t *testing.T) {
	boot := make([]byte, 512)
	core := make([]byte, 3*512+100)
	mbr, patched, err := PatchBIOSBoot(boot, core, 40, 2008)
	if err != nil {
		t.Fatal(err)
	}
	if len(mbr) != 440 || binary.LittleEndian.Uint64(mbr[0x5c:]) != 40 || mbr[0x64] != 0xff {
		t.Errorf("boot.img not pointed at sector 40: % x", mbr[0x5c:0x68])
	}
	if len(patched) != 4*512 || binary.LittleEndian.Uint64(patched[0x1f4:]) != 41 || binary.LittleEndian.Uint16(patched[0x1fc:]) != 3 {
		t.Errorf("core.img blocklist: % x (len %d)", patched[0x1f4:0x200], len(patched))
	}
	if _, _, err := PatchBIOSBoot(boot, core, 40, 3); err == nil {
		t.Error("a core.img larger than its partition was accepted")
	}
}
