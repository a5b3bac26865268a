// Package datadisk makes the appliance's data disk: a plain file holding
// an ext4 filesystem labelled UNICAM, made by mke2fs without root.
package datadisk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Label is the filesystem label the runtime looks for.
const Label = "UNICAM"

// ErrExists means the disk file is already there; it is never formatted
// again, because it may hold recordings.
var ErrExists = errors.New("data disk exists (kept; delete it by hand to start afresh)")

// Create makes an ext4 image of size (mke2fs syntax, e.g. 1G) at path,
// through path.tmp renamed into place. conf, when not empty, is written
// into it as unicam.conf (mke2fs -d: still no root needed).
func Create(ctx context.Context, path, size string, conf ...string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	var seed []string
	if len(conf) > 0 && conf[0] != "" {
		dir, err := os.MkdirTemp("", "unicam-disk-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "unicam.conf"), []byte(conf[0]), 0o600); err != nil {
			return err
		}
		seed = []string{"-d", dir}
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	mke2fs, err := exec.LookPath("mke2fs")
	if err != nil {
		mke2fs = "/usr/sbin/mke2fs"
	}
	// lazy_itable_init=0 leaves no background zeroing for the guest to do.
	args := append([]string{"-q", "-F", "-t", "ext4", "-L", Label, "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0"}, seed...)
	cmd := exec.CommandContext(ctx, mke2fs, append(args, tmp, size)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mke2fs %s (size %s): %w: %s (is e2fsprogs installed?)", path, size, err, strings.TrimSpace(string(out)))
	}
	return os.Rename(tmp, path)
}
