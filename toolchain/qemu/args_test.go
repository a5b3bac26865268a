package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	c := Config{Kernel: "k", Initrd: "i", Cmdline: "console=ttyS0 unicam.fps=2", MemoryMiB: 512, CPUs: 2,
		Disk: "d.img", Forwards: []Forward{{"127.0.0.1", 8080, 80}}, QMP: "/tmp/q.sock", Serial: "/tmp/c.log"}
	a := Args(c)
	s := strings.Join(a, " ")
	for _, want := range []string{
		"-accel tcg -cpu max", "-m 512 -smp 2", "-kernel k -initrd i", "-no-reboot",
		"-serial file:/tmp/c.log", "-drive file=d.img,format=raw,cache=writeback,if=virtio",
		"user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80", "-qmp unix:/tmp/q.sock,server=on,wait=off",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Args lacks %q:\n%s", want, s)
		}
	}
	if i := slices.Index(a, "-append"); a[i+1] != c.Cmdline {
		t.Errorf("-append %q, want the command line as one argument", a[i+1])
	}
	c.KVM = true
	if s := strings.Join(Args(c), " "); !strings.Contains(s, "-accel kvm -cpu host") {
		t.Errorf("KVM args: %s", s)
	}
}

func TestArgsDiskFaults(t *testing.T) {
	c := Config{Kernel: "k", Initrd: "i", Disk: "d.img", DiskFaults: "/t/rules.conf", WriteErrors: "report"}
	s := strings.Join(Args(c), " ")
	if !strings.Contains(s, "-drive file=blkdebug:/t/rules.conf:d.img,format=raw,cache=writeback,werror=report,if=virtio") {
		t.Errorf("blkdebug args:\n%s", s)
	}
}

func TestArgsSystemDisk(t *testing.T) {
	c := Config{Kernel: "k", Initrd: "i", Disk: "d.img", System: "system.erofs"}
	s := strings.Join(Args(c), " ")
	data, system := strings.Index(s, "file=d.img"), strings.Index(s, "-drive file=system.erofs,format=raw,readonly=on,if=virtio")
	if system < 0 || data < 0 || system < data {
		t.Errorf("want the data disk, then the read-only system disk:\n%s", s)
	}
	c.Microvm = true
	if s := strings.Join(Args(c), " "); !strings.Contains(s, "-drive file=system.erofs,format=raw,readonly=on,if=none,id=d1 -device virtio-blk-device,drive=d1") {
		t.Errorf("microvm system disk:\n%s", s)
	}
}

func TestArgsTap(t *testing.T) {
	c := Config{Kernel: "k", Initrd: "i", Tap: "unicam0", Forwards: []Forward{{"127.0.0.1", 8080, 80}}}
	s := strings.Join(Args(c), " ")
	if !strings.Contains(s, "-netdev tap,id=n0,ifname=unicam0,script=no,downscript=no") || strings.Contains(s, "hostfwd") {
		t.Errorf("tap args:\n%s", s)
	}
}

func TestArgsMicrovm(t *testing.T) {
	c := Config{Kernel: "k", Initrd: "i", MemoryMiB: 64, Disk: "d.img", Microvm: true}
	s := strings.Join(Args(c), " ")
	for _, want := range []string{"-machine microvm,pit=on", "-device virtio-blk-device,drive=d0", "-device virtio-net-device,netdev=n0", "-device virtio-rng-device", "-device ib700"} {
		if !strings.Contains(s, want) {
			t.Errorf("microvm args lack %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"-pci", "i6300esb", "if=virtio"} {
		if strings.Contains(s, bad) {
			t.Errorf("microvm args hold %q:\n%s", bad, s)
		}
	}
}

// TestArgsTSC: the TSC rate goes on the command line only where the
// kernel would otherwise calibrate against the PIT: microvm without KVM.
func TestArgsTSC(t *testing.T) {
	for _, tc := range []struct {
		microvm, kvm bool
		want         bool
	}{{true, false, true}, {true, true, false}, {false, false, false}} {
		c := Config{Kernel: "k", Initrd: "i", Cmdline: "console=ttyS0", MemoryMiB: 32, Microvm: tc.microvm, KVM: tc.kvm, TSCkHz: 2596126}
		got := strings.Contains(Quote(Args(c)), "-append 'console=ttyS0 tsc_early_khz=2596126'")
		if got != tc.want {
			t.Errorf("microvm %v, KVM %v: tsc_early_khz on the command line = %v, want %v", tc.microvm, tc.kvm, got, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"qemu", "-append", "console=ttyS0 quiet", "it's"})
	want := `qemu -append 'console=ttyS0 quiet' 'it'\''s'`
	if got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
}
