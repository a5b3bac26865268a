// Package systemdisk builds an image's read-only system disk: the camera
// app and the runtime in an erofs image made by Debian's erofs-utils. An
// image that keeps the app there instead of in its initramfs
// (system_disk: true) lets the guest read the programs' pages as they are
// used and drop them under memory pressure: an initramfs holds every byte
// in RAM for good. The initramfs keeps only the runtime, which mounts the
// disk and hands over to its copy there.
package systemdisk

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"unicam/runtime/sysdisk"
)

// File is the system disk's name in an image's output folder.
const File = "system.erofs"

// ErrTool means mkfs.erofs is not installed.
var ErrTool = errors.New("mkfs.erofs not found: install Debian's erofs-utils (make deps does)")

// Build writes the built programs in root/bin (gobuild's output) as an
// erofs image at out (written beside it and renamed into place) and
// returns the image's UUID. The UUID is derived from the binaries, so the
// same commit gives the same image, and an initramfs only accepts the
// system disk of its own bake.
func Build(ctx context.Context, root, out string) (string, error) {
	if _, err := exec.LookPath("mkfs.erofs"); err != nil {
		return "", ErrTool
	}
	bins, err := filepath.Glob(filepath.Join(root, "bin", "*"))
	if err != nil || len(bins) == 0 {
		return "", fmt.Errorf("no programs in %s/bin", root)
	}
	h := sha256.New()
	for _, bin := range bins {
		b, err := os.ReadFile(bin)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	uuid := sysdisk.FormatUUID(h.Sum(nil)[:16])
	argv := Args(out+".tmp", root, uuid)
	if msg, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
		os.Remove(out + ".tmp")
		return "", fmt.Errorf("%s: %w\n%s", argv[0], err, msg)
	}
	return uuid, os.Rename(out+".tmp", out)
}

// Args is the mkfs.erofs command for an image of dir at out: every file
// root-owned with timestamp 0 and no extended attributes, so equal input
// gives equal bytes; uncompressed, so the kernel maps the app's pages
// without decompressing them.
func Args(out, dir, uuid string) []string {
	return []string{"mkfs.erofs", "--quiet", "-T0", "-U" + uuid, "--all-root", "-x-1", out, dir}
}
