// Package mounts sets up the pseudo-filesystems PID 1 needs, as a table.
package mounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Mount is one entry of the table.
type Mount struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// Table is what the appliance mounts at boot, in order.
var Table = []Mount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "ptmxmode=0666"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
}

// Setup mounts every entry of table under root ("/" in the image). An
// entry already mounted is left as it is: the kernel may have done it, or
// PID 1 before it handed over to its copy on the system disk.
func Setup(root string, table []Mount) error {
	var errs []error
	for _, m := range table {
		target := root + m.Target
		if err := os.MkdirAll(target, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("mkdir %s: %w", target, err))
			continue
		}
		if Mounted(target) {
			continue
		}
		err := unix.Mount(m.Source, target, m.FSType, m.Flags, m.Data)
		if err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", m.FSType, target, err))
		}
	}
	return errors.Join(errs...)
}

// Mounted reports whether target is a mount point: it is on another
// device than its parent folder.
func Mounted(target string) bool {
	var st, parent unix.Stat_t
	if unix.Stat(target, &st) != nil || unix.Stat(filepath.Dir(filepath.Clean(target)), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}
