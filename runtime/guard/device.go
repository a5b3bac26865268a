package guard

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Device files and the sysfs class of watchdog-core drivers.
const (
	ClassDir  = "/sys/class/watchdog"
	DevDir    = "/dev"
	LegacyDev = "/dev/watchdog"
)

// Choose picks the watchdog to arm and names it. Drivers on the kernel's
// watchdog core (i6300esb, xen_wdt) bind only to hardware they found,
// and each appears in classDir as watchdogN; the lowest N is chosen. A
// legacy driver such as ib700 (microvm's only watchdog, an ISA card)
// cannot detect its card: it claims /dev/watchdog on every x86 machine,
// ahead of the core's drivers, which then move to watchdog1. So the
// legacy device is used only when no core driver found anything.
func Choose(classDir, devDir, legacy string) (path, name string) {
	best := -1
	entries, _ := os.ReadDir(classDir)
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "watchdog")
		if n, err := strconv.Atoi(num); ok && err == nil && (best < 0 || n < best) {
			best = n
		}
	}
	if best < 0 {
		return legacy, "legacy driver"
	}
	dev := "watchdog" + strconv.Itoa(best)
	return filepath.Join(devDir, dev), identify(filepath.Join(classDir, dev))
}

// identify names a watchdog class device: its identity (a file with
// CONFIG_WATCHDOG_SYSFS), else the device's name.
func identify(dir string) string {
	if id, err := os.ReadFile(filepath.Join(dir, "identity")); err == nil && strings.TrimSpace(string(id)) != "" {
		return strings.TrimSpace(string(id))
	}
	return filepath.Base(dir)
}
