// Package qemu launches an image under QEMU: a pure argument builder, a
// KVM probe, and a QMP client for power events.
package qemu

import (
	"fmt"
	"strings"
)

// Forward maps a host TCP address to a guest port (QEMU user networking).
type Forward struct {
	HostAddr  string
	HostPort  int
	GuestPort int
}

// Config is everything that decides the QEMU command line.
type Config struct {
	Binary    string
	Kernel    string
	Initrd    string
	Cmdline   string
	MemoryMiB int
	CPUs      int
	// Disk is a raw data disk image attached as virtio ("" for none).
	Disk string
	// KVM selects hardware virtualisation; otherwise software emulation.
	KVM      bool
	Forwards []Forward
	// QMP is a unix socket path for the QMP monitor ("" for none).
	QMP string
	// Serial is where the guest console goes: "stdio" or a file path.
	Serial string
	// ISO boots this CD image (BIOS, or UEFI with Firmware) instead of
	// Kernel and Initrd.
	ISO string
	// Firmware is a UEFI firmware image (OVMF) for -bios; "" is SeaBIOS.
	Firmware string
	// Boot boots from Disk itself (the raw target) instead of Kernel.
	Boot bool
	// Reboot lets a guest reset (a watchdog's, or reboot) restart it;
	// otherwise QEMU exits, so a panic or reset ends a test run.
	Reboot bool
}

// Args returns the QEMU argv for c, program name first. It has no side
// effects, so -dry-run prints exactly what would run.
func Args(c Config) []string {
	bin := c.Binary
	if bin == "" {
		bin = "qemu-system-x86_64"
	}
	a := []string{bin, "-nodefaults", "-no-user-config", "-display", "none", "-machine", "q35"}
	if c.KVM {
		a = append(a, "-accel", "kvm", "-cpu", "host")
	} else {
		a = append(a, "-accel", "tcg", "-cpu", "max")
	}
	a = append(a, "-m", fmt.Sprint(c.MemoryMiB), "-smp", fmt.Sprint(max(c.CPUs, 1)))
	if c.Firmware != "" {
		a = append(a, "-bios", c.Firmware)
	}
	switch {
	case c.ISO != "":
		a = append(a, "-cdrom", c.ISO, "-boot", "d")
	case c.Boot:
	default:
		a = append(a, "-kernel", c.Kernel, "-initrd", c.Initrd, "-append", c.Cmdline)
	}
	if !c.Reboot {
		a = append(a, "-no-reboot")
	}
	if c.Serial == "" || c.Serial == "stdio" {
		a = append(a, "-serial", "stdio")
	} else {
		a = append(a, "-serial", "file:"+c.Serial)
	}
	if c.Disk != "" {
		a = append(a, "-drive", "file="+c.Disk+",format=raw,if=virtio,cache=writeback")
	}
	// i6300esb is the PCI watchdog Linux drives; its default action is a
	// reset, as real hardware does.
	a = append(a, "-netdev", "user,id=n0"+hostfwds(c.Forwards), "-device", "virtio-net-pci,netdev=n0",
		"-device", "virtio-rng-pci", "-device", "i6300esb")
	if c.QMP != "" {
		a = append(a, "-qmp", "unix:"+c.QMP+",server=on,wait=off")
	}
	return a
}

func hostfwds(fs []Forward) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, ",hostfwd=tcp:%s:%d-:%d", f.HostAddr, f.HostPort, f.GuestPort)
	}
	return b.String()
}

// Quote renders argv for a shell, for -dry-run output.
func Quote(argv []string) string {
	q := make([]string, len(argv))
	for i, s := range argv {
		if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
			q[i] = s
			continue
		}
		q[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
