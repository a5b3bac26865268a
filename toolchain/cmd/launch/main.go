// Command launch boots a baked unicam image under QEMU, forwarding the web
// interface to the host, and powers it down cleanly on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"unicam/toolchain/bake"
	"unicam/toolchain/qemu"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "launch: %v\n", err)
		os.Exit(1)
	}
}

type flags struct {
	dir, disk, append, accel, machine, qmp, serial, httpAddr, tap string
	httpPort                                                      int
	dryRun                                                        bool
}

func run(args []string) error {
	var f flags
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	fs.StringVar(&f.dir, "image", "images/out/qemu", "baked image folder (holds manifest.json)")
	fs.StringVar(&f.disk, "disk", "images/out/data.img", "data disk image (\"\" for none)")
	fs.StringVar(&f.append, "append", "", "extra kernel command line, e.g. unicam.segment=10s")
	fs.StringVar(&f.accel, "accel", "auto", "auto (KVM when /dev/kvm works), kvm or tcg")
	fs.StringVar(&f.machine, "machine", "q35", "q35, or microvm (minimal kernel only: no PCI, virtio over MMIO, the ISA ib700 watchdog)")
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1", "host address for the web interface")
	fs.IntVar(&f.httpPort, "http-port", 8080, "host port forwarded to the guest's port 80")
	fs.StringVar(&f.tap, "tap", "", "host tap device for the network card, e.g. one on a bridge to the cameras' LAN (then -http-port is unused: browse to the appliance's own address)")
	fs.StringVar(&f.qmp, "qmp", "", "QMP socket path (default: in a temporary folder)")
	fs.StringVar(&f.serial, "serial", "stdio", "guest console: stdio or a file")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the QEMU command and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config(f)
	if err != nil {
		return err
	}
	if f.dryRun {
		fmt.Println(qemu.Quote(qemu.Args(cfg)))
		return nil
	}
	return boot(cfg, f)
}

func config(f flags) (qemu.Config, error) {
	m, err := bake.ReadManifest(f.dir)
	if err != nil {
		return qemu.Config{}, err
	}
	kvm := f.accel == "kvm" || f.accel == "auto" && qemu.KVMWorks("")
	if f.accel != "auto" && f.accel != "kvm" && f.accel != "tcg" {
		return qemu.Config{}, fmt.Errorf("-accel %q: accepted values: auto, kvm, tcg", f.accel)
	}
	microvm, err := useMicrovm(f.machine, m.Kernel.Fragment != "")
	if err != nil {
		return qemu.Config{}, err
	}
	cmdline := m.Cmdline
	if f.append != "" {
		cmdline += " " + f.append
	}
	qmp := f.qmp
	if qmp == "" {
		qmp = filepath.Join(os.TempDir(), fmt.Sprintf("unicam-qmp-%d.sock", os.Getpid()))
	}
	cfg := qemu.Config{
		Kernel: filepath.Join(f.dir, bake.KernelFile), Initrd: filepath.Join(f.dir, bake.InitramfsFile),
		Cmdline: cmdline, MemoryMiB: m.MemoryMiB, CPUs: m.CPUs, Disk: f.disk, System: m.SystemPath(f.dir), KVM: kvm,
		Forwards: []qemu.Forward{{HostAddr: f.httpAddr, HostPort: f.httpPort, GuestPort: 80}},
		Tap:      f.tap, QMP: qmp, Serial: f.serial, Microvm: microvm,
	}
	if cfg.NeedsTSC() {
		if cfg.TSCkHz, err = qemu.HostTSCkHz(); err != nil {
			fmt.Fprintf(os.Stderr, "launch: warning: %v; the guest kernel will calibrate its clock against the PIT, which can hang it on a busy host\n", err)
		}
	}
	return cfg, nil
}

// useMicrovm decides the machine type: microvm needs virtio-mmio, which the
// minimal kernel has built in and Debian's kernel does not load at boot.
func useMicrovm(machine string, minimalKernel bool) (bool, error) {
	switch {
	case machine == "q35":
		return false, nil
	case machine == "microvm" && minimalKernel:
		return true, nil
	case machine == "microvm":
		return false, fmt.Errorf("-machine microvm: this image's kernel has no virtio-mmio; bake it with KERNEL=minimal")
	}
	return false, fmt.Errorf("-machine %q: accepted values: q35, microvm", machine)
}

func boot(cfg qemu.Config, f flags) error {
	accel := "software emulation (TCG)"
	if cfg.KVM {
		accel = "KVM"
	}
	fmt.Fprintf(os.Stderr, "launch: booting %s with %s; web interface at http://%s:%d/ ; Ctrl-C powers it down\n",
		f.dir, accel, f.httpAddr, f.httpPort)
	vm, err := qemu.Start(cfg, os.Stdout)
	if err != nil {
		return err
	}
	defer os.Remove(cfg.QMP)
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-vm.Done():
		return vm.Err()
	case <-sig.Done():
	}
	fmt.Fprintln(os.Stderr, "\nlaunch: powering the guest down (finishing the open recording)…")
	if err := vm.Powerdown(30 * time.Second); err != nil {
		vm.Kill()
		return fmt.Errorf("clean power-down failed, QEMU killed: %w", err)
	}
	fmt.Fprintln(os.Stderr, "launch: guest powered off")
	return nil
}
