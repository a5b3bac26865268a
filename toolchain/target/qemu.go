package target

import (
	"context"
	"os"
	"path/filepath"

	"unicam/toolchain/qemu"
)

func init() { register("qemu", qemuTarget{}) }

// qemuTarget records the exact QEMU command for the kernel and initramfs
// (software emulation, the web port on 127.0.0.1:8080, a data.img beside
// it); toolchain/cmd/launch builds the same command.
type qemuTarget struct{}

// QEMUCommandFile holds the QEMU command line.
const QEMUCommandFile = "qemu-command.txt"

func (qemuTarget) Build(_ context.Context, in Inputs) ([]string, error) {
	cfg := qemu.Config{Kernel: in.Kernel, Initrd: in.Initramfs, Cmdline: in.Cmdline, MemoryMiB: in.MemoryMiB, CPUs: in.CPUs,
		Disk: "data.img", System: in.System, Forwards: []qemu.Forward{{HostAddr: "127.0.0.1", HostPort: 8080, GuestPort: 80}}, Serial: "stdio"}
	cmd := qemu.Quote(qemu.Args(cfg)) + "\n"
	return []string{QEMUCommandFile}, os.WriteFile(filepath.Join(in.Dir, QEMUCommandFile), []byte(cmd), 0o644)
}
