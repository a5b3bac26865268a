package target

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func init() { register("raw", rawTarget{}) }

// rawTarget makes a bootable GPT disk image for bare metal and clouds:
// an EFI system partition holding GRUB, the kernel and the initramfs,
// then the data partition, ext4 labelled UNICAM, where the runtime finds
// it. It boots with UEFI, and with a BIOS through GRUB's boot.img in the
// MBR and its core.img in a BIOS boot partition before the ESP. Everything
// is made on a plain file, without root: sfdisk, mtools, mke2fs -E offset,
// and the two GRUB images patched as grub-bios-setup would.
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
	rawBIOSGUID = "5f0b7a86-8f5e-4c1a-9c2e-756e69636103"
	// The BIOS boot partition fills the gap between the GPT entries and
	// the ESP.
	rawBIOSStart = 40 // sectors
	rawBIOSSize  = rawESPStart/512 - rawBIOSStart
)

// SfdiskScript is the partition table: the ESP, then the data partition
// to the end of the disk. It is a pure function.
func SfdiskScript() string {
	return fmt.Sprintf("label: gpt\nlabel-id: %s\nunit: sectors\nfirst-lba: 34\n\n"+
		"start=%d, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name=\"EFI\"\n"+
		"start=%d, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, name=\"UNICAM\"\n"+
		"start=%d, size=%d, type=21686148-6449-6E6F-744E-656564454649, uuid=%s, name=\"BIOS\"\n",
		rawDiskGUID, rawESPStart/512, rawESPSize/512, rawESPGUID, (rawESPStart+rawESPSize)/512, rawDataGUID,
		rawBIOSStart, rawBIOSSize, rawBIOSGUID)
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
	core := filepath.Join(tmp, "core.img")
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
		{"grub-mkimage", "", append([]string{"grub-mkimage", "-O", "i386-pc", "-p", "(hd0,gpt1)/EFI/BOOT", "-o", core, "biosdisk"}, rawBIOSModules...)},
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
			return nil, fmt.Errorf("raw: %s: %w: %s (install fdisk, mtools, grub-efi-amd64-bin, grub-pc-bin and e2fsprogs: scripts/install-deps.sh)", s.name, err, strings.TrimSpace(stderr.String()))
		}
	}
	if err := installBIOSBoot(img, core); err != nil {
		os.Remove(img)
		return nil, fmt.Errorf("raw: BIOS boot: %w", err)
	}
	return []string{RawFile}, nil
}

// rawBIOSModules are built into the BIOS GRUB image.
var rawBIOSModules = []string{"part_gpt", "fat", "normal", "linux", "search", "search_fs_file", "configfile", "echo", "gzio"}

// GRUB's boot.img is read from here (grub-pc-bin).
const grubBootImg = "/usr/lib/grub/i386-pc/boot.img"

// installBIOSBoot does what grub-bios-setup does on a device: core.img
// into the BIOS boot partition, with its blocklist pointing at its own
// sectors, and boot.img's code into the MBR, pointing at core.img. The
// protective MBR's partition table stays.
func installBIOSBoot(img, corePath string) error {
	boot, err := os.ReadFile(grubBootImg)
	if err != nil {
		return fmt.Errorf("%w (install grub-pc-bin)", err)
	}
	core, err := os.ReadFile(corePath)
	if err != nil {
		return err
	}
	mbr, coreImg, err := PatchBIOSBoot(boot, core, rawBIOSStart, rawBIOSSize)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	sector0 := make([]byte, 512)
	if _, err := f.ReadAt(sector0, 0); err != nil {
		return err
	}
	copy(sector0[:mbrCodeSize], mbr)
	if _, err := f.WriteAt(sector0, 0); err != nil {
		return err
	}
	if _, err := f.WriteAt(coreImg, rawBIOSStart*512); err != nil {
		return err
	}
	return f.Close()
}

// Offsets in GRUB's boot.img and in diskboot.img, the first sector of
// core.img (grub/include/grub/i386/pc/boot.h).
const (
	mbrCodeSize       = 440
	bootKernelSector  = 0x5c
	bootDrive         = 0x64
	bootDriveCheck    = 0x66
	diskbootBlockList = 0x200 - 12
)

// PatchBIOSBoot returns boot.img's code pointing at core.img on sector
// start, and core.img whose blocklist loads its remaining sectors from
// there. It fails when core.img does not fit the partition. It is a pure
// function.
func PatchBIOSBoot(boot, core []byte, start, sectors int) (mbr, patched []byte, err error) {
	if len(boot) != 512 || len(core) < 1024 {
		return nil, nil, fmt.Errorf("boot.img of %d bytes and core.img of %d: not GRUB's i386-pc images", len(boot), len(core))
	}
	n := (len(core) + 511) / 512
	if n > sectors {
		return nil, nil, fmt.Errorf("core.img needs %d sectors, the BIOS boot partition has %d", n, sectors)
	}
	mbr = append([]byte(nil), boot[:mbrCodeSize]...)
	binary.LittleEndian.PutUint64(mbr[bootKernelSector:], uint64(start))
	mbr[bootDrive] = 0xff
	// As grub-bios-setup does for hard disks: skip the floppy check.
	mbr[bootDriveCheck], mbr[bootDriveCheck+1] = 0x90, 0x90
	patched = make([]byte, n*512)
	copy(patched, core)
	binary.LittleEndian.PutUint64(patched[diskbootBlockList:], uint64(start+1))
	binary.LittleEndian.PutUint16(patched[diskbootBlockList+8:], uint16(n-1))
	return mbr, patched, nil
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
