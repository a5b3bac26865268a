package target

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func init() { register("iso", isoTarget{}) }

// isoTarget makes a hybrid ISO that boots with BIOS and UEFI, from CD or
// written to a USB stick, with Debian's grub-mkrescue and xorriso.
type isoTarget struct{}

// ISOFile is the ISO's name.
const ISOFile = "unicam.iso"

// GrubConfig renders the ISO's grub.cfg. It is a pure function.
func GrubConfig(name, kernel, initrd, cmdline string) string {
	return fmt.Sprintf("set timeout=1\nset default=0\nmenuentry \"unicam %s\" {\n\tlinux /boot/%s %s\n\tinitrd /boot/%s\n}\n", name, kernel, cmdline, initrd)
}

func (isoTarget) Build(ctx context.Context, in Inputs) ([]string, error) {
	tree, err := os.MkdirTemp("", "unicam-iso-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tree)
	if err := os.MkdirAll(filepath.Join(tree, "boot/grub"), 0o755); err != nil {
		return nil, err
	}
	if _, err := in.copyBoot(filepath.Join(tree, "boot")); err != nil {
		return nil, err
	}
	cfg := GrubConfig(in.Name, in.Kernel, in.Initramfs, in.Cmdline)
	if err := os.WriteFile(filepath.Join(tree, "boot/grub/grub.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	out := filepath.Join(in.Dir, ISOFile)
	cmd := exec.CommandContext(ctx, "grub-mkrescue", "-o", out, tree, "--", "-volid", "UNICAM",
		"-volume_date", "uuid", "2023111400000000", "-volume_date", "all_file_dates", "=1700000000")
	// Fixed dates (and the volume UUID xorriso derives GUIDs from) keep
	// the build time out of the checksum.
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("iso: grub-mkrescue: %w: %s (install grub-pc-bin, grub-efi-amd64-bin, mtools and xorriso: scripts/install-deps.sh)", err, strings.TrimSpace(stderr.String()))
	}
	return []string{ISOFile}, fixFATSerial(out)
}

// fixFATSerial replaces the random volume serial mformat gives the ISO's
// EFI boot image with a fixed one: it is the only byte-level difference
// between two builds, and nothing checks it.
func fixFATSerial(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := 0
	for i := bytes.Index(b, []byte("NO NAME    FAT")); i >= 5; {
		if b[i-5] == 0x29 { // extended boot signature, then the serial
			copy(b[i-4:i], "UNIC")
			n++
		}
		j := bytes.Index(b[i+1:], []byte("NO NAME    FAT"))
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if n == 0 {
		return nil
	}
	return os.WriteFile(path, b, 0o644)
}
