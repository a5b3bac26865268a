package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNoDisk means no device holds a usable data filesystem.
var ErrNoDisk = errors.New("no data disk found (attach an ext4 disk labelled UNICAM; make disk creates one)")

// Candidate is a block device and the ext4 label found on it.
type Candidate struct {
	Dev   string
	Label string
}

// Choose picks the device labelled label, else the first virtio (vd*),
// Xen (xvd*) or SCSI (sd*) device holding ext4. cands are in name order.
func Choose(cands []Candidate, label string) (string, error) {
	for _, c := range cands {
		if c.Label == label {
			return c.Dev, nil
		}
	}
	for _, prefix := range []string{"vd", "xvd", "sd"} {
		for _, c := range cands {
			if strings.HasPrefix(filepath.Base(c.Dev), prefix) {
				return c.Dev, nil
			}
		}
	}
	return "", ErrNoDisk
}

// Scan lists the block devices in sysfs whose content is ext4.
func Scan(sysBlock, devDir string) ([]Candidate, error) {
	return Probe(sysBlock, devDir, Label)
}

// Probe lists the block devices in sysBlock (sysfs), opened under devDir,
// for which read finds its filesystem, with what read returned (a label,
// a UUID), in name order.
func Probe(sysBlock, devDir string, read func(io.ReaderAt) (string, error)) ([]Candidate, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("list block devices: %w", err)
	}
	var out []Candidate
	for _, e := range entries {
		dev := filepath.Join(devDir, e.Name())
		f, err := os.Open(dev)
		if err != nil {
			continue
		}
		label, err := read(f)
		f.Close()
		if err == nil {
			out = append(out, Candidate{Dev: dev, Label: label})
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.Dev, b.Dev) })
	return out, nil
}

// Find returns the data disk's device: the ext4 filesystem labelled
// label, else the first virtio, Xen or SCSI disk holding ext4.
func Find(label string) (string, error) {
	cands, err := Scan("/sys/class/block", "/dev")
	if err != nil {
		return "", err
	}
	return Choose(cands, label)
}

// Mount mounts dev as ext4 at target (noatime). It never formats
// anything.
func Mount(dev, target string) error {
	return MountAs(dev, target, "ext4", unix.MS_NOATIME)
}

// MountAs mounts dev at target as fstype, with flags besides nodev and
// nosuid, creating target first.
func MountAs(dev, target, fstype string, flags uintptr) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, target, fstype, flags|unix.MS_NODEV|unix.MS_NOSUID, ""); err != nil {
		return fmt.Errorf("mount %s on %s as %s: %w", dev, target, fstype, err)
	}
	return nil
}

// Unmount flushes and unmounts target.
func Unmount(target string) error {
	unix.Sync()
	if err := unix.Unmount(target, 0); err != nil {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}
