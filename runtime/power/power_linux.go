package power

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Requests delivers every power request: the power button of any input
// device that has one, SIGTERM and SIGPWR (power off), SIGINT (the kernel
// sends it for Ctrl-Alt-Del once CAD is off) and SIGUSR1 (reboot).
func Requests(ctx context.Context, logf func(string, ...any)) <-chan Action {
	out := make(chan Action, 4)
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF); err != nil {
		logf("power: ctrl-alt-del to signal: %v", err)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGPWR, syscall.SIGINT, syscall.SIGUSR1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				a := PowerOff
				if s == syscall.SIGINT || s == syscall.SIGUSR1 {
					a = Reboot
				}
				out <- a
			}
		}
	}()
	for _, dev := range powerButtons("/sys/class/input") {
		go watchButton(dev, out, logf)
	}
	return out
}

// powerButtons lists event devices whose name says they are power buttons.
func powerButtons(sysInput string) []string {
	names, _ := filepath.Glob(filepath.Join(sysInput, "event*", "device", "name"))
	var devs []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err == nil && strings.Contains(strings.ToLower(string(b)), "power button") {
			devs = append(devs, filepath.Join("/dev/input", filepath.Base(filepath.Dir(filepath.Dir(n)))))
		}
	}
	return devs
}

func watchButton(dev string, out chan<- Action, logf func(string, ...any)) {
	f, err := os.Open(dev)
	if err != nil {
		logf("power: open %s: %v", dev, err)
		return
	}
	defer f.Close()
	logf("power: watching %s for the power button", dev)
	for {
		if err := WaitPowerKey(f); err != nil {
			logf("power: read %s: %v", dev, err)
			return
		}
		out <- PowerOff
	}
}

// Stopper stops the supervised app within a grace period.
type Stopper interface {
	Stop(grace time.Duration) (clean bool)
}

// Do carries out a: stop the app (SIGTERM, grace, SIGKILL), disarm the
// watchdog, sync, unmount each of mounts, then power off or reboot. It is the only way the
// appliance goes down. It returns only if the final syscall fails.
func Do(a Action, app Stopper, grace time.Duration, mounts []string, logf func(string, ...any), disarm ...func()) error {
	logf("power: %s requested: stopping the app", a)
	if !app.Stop(grace) {
		logf("power: app did not exit within %v; killed", grace)
	}
	for _, d := range disarm {
		d()
	}
	unix.Sync()
	for _, m := range mounts {
		if err := unix.Unmount(m, 0); err != nil {
			logf("power: unmount %s: %v; remounting read-only", m, err)
			_ = unix.Mount("", m, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
		}
	}
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if a == Reboot {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
	}
	logf("power: %s now", a)
	return unix.Reboot(cmd)
}

// Helper is what the init binary does when run as poweroff, halt or
// reboot by anyone but the kernel's first process: signal PID 1, which
// goes down through Do.
func Helper(name string) error {
	sig := syscall.SIGPWR
	switch name {
	case "poweroff", "halt", "shutdown":
	case "reboot":
		sig = syscall.SIGUSR1
	default:
		return fmt.Errorf("run as %q: this is the unicam init; as poweroff, halt or reboot it signals PID 1", name)
	}
	return syscall.Kill(1, sig)
}
