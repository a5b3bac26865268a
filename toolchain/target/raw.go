package target

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func init() { register("raw", rawTarget{}) }

// rawTarget makes a bootable GPT disk image for bare metal and clouds:
// an EFI system partition holding GRUB (grub-mkstandalone), the kernel and
// the initramfs, then the data partition, ext4 labelled UNICAM, where the
// runtime finds it. It boots with UEFI. Everything is made on a plain
// file, without root: sfdisk, mtools and mke2fs -E offset.
type rawTarget struct{}

// Raw disk layout.
const (
	RawFile     = "unicam.raw"
	rawESPStart = 1 << 20  // 1 MiB, aligned
	rawESPSize  = 64 << 20 // FAT32 wants at least 32 MiB
	rawDataSize = 1 << 30
	// Fixed identifiers keep the image reproducible.
	rawDiskGUID = "5f0b7a86-8f5e-4c1a-9c2e-756e6963616d"
	rawESPGUID  = "5f0b7a86-8f5e-4c1a-9c2e-756e69636101"
	rawDataGUID = "5f0b7a86-8f5e-4c1a-9c2e-756e69636102"
)

// SfdiskScript is the partition table: the ESP, then the data partition
// to the end of the disk. It is a pure function.
func SfdiskScript() string {
	return fmt.Sprintf("label: gpt\nlabel-id: %s\nunit: sectors\n\n"+
		"start=%d, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name=\"EFI\"\n"+
		"start=%d, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, name=\"UNICAM\"\n",
		rawDiskGUID, rawESPStart/512, rawESPSize/512, rawESPGUID, (rawESPStart+rawESPSize)/512, rawDataGUID)
}

// rawGrubModules are built into the EFI GRUB image.
var rawGrubModules = []string{"part_gpt", "fat", "normal", "linux", "search", "search_fs_file", "configfile", "echo", "efi_gop", "all_video", "gzio"}

// RawGrubConfig boots the kernel from the ESP. It is a pure function.
func RawGrubConfig(kernel, initrd, cmdline string) string {
	return fmt.Sprintf("insmod part_gpt\ninsmod fat\nsearch --no-floppy --file --set=root /%s\nlinux /%s %s\ninitrd /%s\nboot\n", kernel, kernel, cmdline, initrd)
}

func (rawTarget) Build(ctx context.Context, in Inputs) ([]string, error) {
	tmp, err := os.MkdirTemp("", "unicam-raw-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	img := filepath.Join(in.Dir, RawFile)
	total := int64(rawESPStart + rawESPSize + rawDataSize + 1<<20) // + backup GPT
	efi := filepath.Join(tmp, "BOOTX64.EFI")
	cfg := filepath.Join(tmp, "grub.cfg")
	if err := os.WriteFile(cfg, []byte(RawGrubConfig(in.Kernel, in.Initramfs, in.Cmdline)), 0o644); err != nil {
		return nil, err
	}
	// The files' times go into the FAT: fix them.
	files, err := in.copyBoot(tmp)
	if err != nil {
		return nil, err
	}
	if err := fixTimes(append(files, cfg)...); err != nil {
		return nil, err
	}
	espImg := img + "@@" + fmt.Sprint(rawESPStart)
	steps := []struct {
		name  string
		stdin string
		argv  []string
	}{
		{"sfdisk", SfdiskScript(), []string{"sfdisk", "--no-reread", "--no-tell-kernel", "-q", img}},
		// grub-mkimage, not grub-mkstandalone: the latter packs its modules
		// in a tar with the build's times, so no two images would match.
		{"grub-mkimage", "", append([]string{"grub-mkimage", "-O", "x86_64-efi", "-p", "/EFI/BOOT", "-o", efi}, rawGrubModules...)},
		{"mformat", "", []string{"mformat", "-i", espImg, "-F", "-N", "554e4943", "-v", "EFI", "-T", fmt.Sprint(rawESPSize / 512), "::"}},
		{"mmd", "", []string{"mmd", "-i", espImg, "::/EFI", "::/EFI/BOOT"}},
		{"mcopy", "", []string{"mcopy", "-m", "-i", espImg, efi, cfg, "::/EFI/BOOT/"}},
		{"mcopy", "", []string{"mcopy", "-m", "-i", espImg, files[0], files[1], "::/"}},
		{"mke2fs", "", []string{"mke2fs", "-q", "-F", "-t", "ext4", "-L", "UNICAM", "-m", "0", "-U", rawDataGUID,
			"-E", fmt.Sprintf("offset=%d,lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0,hash_seed=%s", rawESPStart+rawESPSize, rawDataGUID), img, fmt.Sprintf("%dk", rawDataSize>>10)}},
	}
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return nil, err
	}
	if err := os.Truncate(img, total); err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.name == "mformat" {
			if err := fixTimes(efi); err != nil {
				return nil, err
			}
		}
		cmd := exec.CommandContext(ctx, s.argv[0], s.argv[1:]...)
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000", "E2FSPROGS_FAKE_TIME=1700000000", "MTOOLS_SKIP_CHECK=1")
		cmd.Stdin = strings.NewReader(s.stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			os.Remove(img)
			return nil, fmt.Errorf("raw: %s: %w: %s (install fdisk, mtools, grub-efi-amd64-bin and e2fsprogs: scripts/install-deps.sh)", s.name, err, strings.TrimSpace(stderr.String()))
		}
	}
	return []string{RawFile}, nil
}

// sourceDate is the time given to every file the raw disk holds.
var sourceDate = time.Unix(1700000000, 0)

func fixTimes(paths ...string) error {
	for _, p := range paths {
		if err := os.Chtimes(p, sourceDate, sourceDate); err != nil {
			return err
		}
	}
	return nil
}
