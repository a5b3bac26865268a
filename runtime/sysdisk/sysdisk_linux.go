package sysdisk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotFound means no block device holds the system disk this image was
// baked with.
var ErrNotFound = errors.New("system disk not found")

// Find returns the block device (under devDir, listed in sysBlock) whose
// erofs UUID is uuid. The error names every erofs image it saw instead,
// so a system disk from another bake is told apart from none at all.
func Find(sysBlock, devDir, uuid string) (string, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return "", fmt.Errorf("list block devices: %w", err)
	}
	var others []string
	for _, e := range entries {
		dev := filepath.Join(devDir, e.Name())
		f, err := os.Open(dev)
		if err != nil {
			continue
		}
		got, err := UUID(f)
		f.Close()
		switch {
		case err != nil:
		case got == uuid:
			return dev, nil
		default:
			others = append(others, dev+" is "+got)
		}
	}
	if len(others) > 0 {
		return "", fmt.Errorf("%w: want erofs UUID %s, but %s (attach the system.erofs baked with this initramfs)", ErrNotFound, uuid, strings.Join(others, ", "))
	}
	return "", fmt.Errorf("%w: no erofs disk with UUID %s (attach the image's system.erofs read-only as a second disk; toolchain/cmd/launch does)", ErrNotFound, uuid)
}

// Mount mounts dev read-only as erofs at target.
func Mount(dev, target string) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, target, "erofs", unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOSUID, ""); err != nil {
		return fmt.Errorf("mount %s on %s as erofs: %w (the kernel needs CONFIG_EROFS_FS)", dev, target, err)
	}
	return nil
}
