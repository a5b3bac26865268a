package sysdisk

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
	"unicam/runtime/disk"
)

// ErrNotFound means no block device holds the system disk this image was
// baked with.
var ErrNotFound = errors.New("system disk not found")

// Find returns the block device (under devDir, listed in sysBlock) whose
// erofs UUID is uuid. The error names every erofs image it saw instead,
// so a system disk from another bake is told apart from none at all.
func Find(sysBlock, devDir, uuid string) (string, error) {
	found, err := disk.Probe(sysBlock, devDir, UUID)
	if err != nil {
		return "", err
	}
	var others []string
	for _, c := range found {
		if c.Label == uuid {
			return c.Dev, nil
		}
		others = append(others, c.Dev+" is "+c.Label)
	}
	if len(others) > 0 {
		return "", fmt.Errorf("%w: want erofs UUID %s, but %s (attach the system.erofs baked with this initramfs)", ErrNotFound, uuid, strings.Join(others, ", "))
	}
	return "", fmt.Errorf("%w: no erofs disk with UUID %s (attach the image's system.erofs read-only as a second disk; toolchain/cmd/launch does)", ErrNotFound, uuid)
}

// Mount mounts dev read-only as erofs at target.
func Mount(dev, target string) error {
	if err := disk.MountAs(dev, target, "erofs", unix.MS_RDONLY); err != nil {
		return fmt.Errorf("%w (the kernel needs CONFIG_EROFS_FS)", err)
	}
	return nil
}
