package qemu

import (
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// KVM ioctls (linux/kvm.h).
const (
	kvmGetAPIVersion = 0xAE00
	kvmAPIVersion    = 12
)

// KVMWorks reports whether QEMU can really run a guest with KVM. A
// /dev/kvm that opens but cannot set up a vCPU (nested or restricted
// virtualisation) counts as no: QEMU is started paused with KVM and must
// still be alive after a moment.
func KVMWorks(qemuBin string) bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	f.Close()
	if err != nil || v != kvmAPIVersion {
		return false
	}
	if qemuBin == "" {
		qemuBin = "qemu-system-x86_64"
	}
	cmd := exec.Command(qemuBin, "-accel", "kvm", "-cpu", "host", "-machine", "q35", "-m", "64",
		"-display", "none", "-nodefaults", "-monitor", "none", "-S")
	if err := cmd.Start(); err != nil {
		return false
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return false
	case <-time.After(time.Second):
		cmd.Process.Kill()
		<-done
		return true
	}
}
