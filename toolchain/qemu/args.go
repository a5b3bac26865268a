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
	// System is a read-only system disk image holding the app (erofs),
	// attached after Disk ("" for none).
	System string
	// DiskFaults is a blkdebug rules file: the data disk is opened
	// through QEMU's blkdebug driver, which fails the requests the rules
	// name (tests inject host-side EIO and ENOSPC with it).
	DiskFaults string
	// WriteErrors is QEMU's werror policy for the data disk: "report"
	// passes a failed write to the guest, "enospc" (QEMU's default) stops
	// the VM on a full host disk and reports other errors, "stop" stops
	// it on any.
	WriteErrors string
	// KVM selects hardware virtualisation; otherwise software emulation.
	KVM bool
	// Forwards are host ports forwarded to the guest through QEMU's user
	// network.
	Forwards []Forward
	// Tap attaches the network card to this host tap device instead of
	// QEMU's user network (Forwards are then unused): the guest is on the
	// tap's own link, reachable at its address, as on a bridged LAN.
	Tap string
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
	// Microvm uses QEMU's microvm machine: no PCI, virtio over MMIO
	// (announced on the kernel command line by QEMU), the ACPI power
	// button, and the ISA ib700 watchdog. It needs a kernel with virtio-mmio
	// built in, such as the minimal one, and boots Kernel only.
	Microvm bool
	// TSCkHz is the host's TSC rate (HostTSCkHz). Under software
	// emulation a guest's TSC is the host's, and microvm has neither HPET
	// nor PM timer, so the kernel calibrates the TSC against the emulated
	// PIT; on a busy host that fails ("Unable to calibrate against PIT"),
	// the TSC is marked unstable and boot hangs. On microvm without KVM
	// the rate is given on the kernel command line (tsc_early_khz).
	TSCkHz int
}

// Args returns the QEMU argv for c, program name first. It has no side
// effects, so -dry-run prints exactly what would run.
func Args(c Config) []string {
	bin := c.Binary
	if bin == "" {
		bin = "qemu-system-x86_64"
	}
	a := []string{bin, "-nodefaults", "-no-user-config", "-display", "none", "-machine", machine(c)}
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
		a = append(a, "-kernel", c.Kernel, "-initrd", c.Initrd, "-append", cmdline(c))
	}
	if !c.Reboot {
		a = append(a, "-no-reboot")
	}
	if c.Serial == "" || c.Serial == "stdio" {
		a = append(a, "-serial", "stdio")
	} else {
		a = append(a, "-serial", "file:"+c.Serial)
	}
	a = append(a, devices(c)...)
	if c.QMP != "" {
		a = append(a, "-qmp", "unix:"+c.QMP+",server=on,wait=off")
	}
	return a
}

// NeedsTSC reports whether the guest must be told the TSC's rate
// (TSCkHz): on microvm without KVM it could only calibrate it against the
// PIT.
func (c Config) NeedsTSC() bool { return c.Microvm && !c.KVM }

// cmdline is the kernel command line: c.Cmdline, and the TSC's rate where
// the guest needs it.
func cmdline(c Config) string {
	if c.NeedsTSC() && c.TSCkHz > 0 {
		return fmt.Sprintf("%s tsc_early_khz=%d", c.Cmdline, c.TSCkHz)
	}
	return c.Cmdline
}

// machine is the -machine value. microvm gets its PIT: under software
// emulation there is no kvmclock, and without a PIT the kernel cannot
// calibrate its clock and hangs.
func machine(c Config) string {
	if c.Microvm {
		return "microvm,pit=on,rtc=on"
	}
	return "q35"
}

// devices are the data disk, network card, RNG and watchdog: PCI on q35,
// MMIO on microvm.
func devices(c Config) []string {
	bus := "pci"
	if c.Microvm {
		bus = "device"
	}
	var a []string
	switch {
	case c.Disk != "" && c.Microvm:
		a = append(a, "-drive", drive(c)+",if=none,id=d0", "-device", "virtio-blk-device,drive=d0")
	case c.Disk != "":
		a = append(a, "-drive", drive(c)+",if=virtio")
	}
	switch {
	case c.System != "" && c.Microvm:
		a = append(a, "-drive", systemDrive(c)+",if=none,id=d1", "-device", "virtio-blk-device,drive=d1")
	case c.System != "":
		a = append(a, "-drive", systemDrive(c)+",if=virtio")
	}
	a = append(a, "-netdev", netdev(c), "-device", "virtio-net-"+bus+",netdev=n0",
		"-device", "virtio-rng-"+bus)
	// i6300esb is the PCI watchdog Linux drives; microvm has no PCI, so
	// it gets the ISA ib700. Either resets the machine, as real hardware
	// does.
	if c.Microvm {
		a = append(a, "-device", "ib700")
	} else {
		a = append(a, "-device", "i6300esb")
	}
	return a
}

// drive is the data disk's -drive options, without the interface.
func drive(c Config) string {
	file := c.Disk
	if c.DiskFaults != "" {
		file = "blkdebug:" + c.DiskFaults + ":" + c.Disk
	}
	d := "file=" + file + ",format=raw,cache=writeback"
	if c.WriteErrors != "" {
		d += ",werror=" + c.WriteErrors
	}
	return d
}

// systemDrive is the system disk's -drive options, without the interface.
func systemDrive(c Config) string {
	return "file=" + c.System + ",format=raw,readonly=on"
}

// netdev is the network backend: a tap device, or the user network with
// its port forwards.
func netdev(c Config) string {
	if c.Tap != "" {
		return "tap,id=n0,ifname=" + c.Tap + ",script=no,downscript=no"
	}
	return "user,id=n0" + hostfwds(c.Forwards)
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
