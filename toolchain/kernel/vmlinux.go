package kernel

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// ErrNoVmlinux means no compressed ELF kernel was found in a bzImage.
var ErrNoVmlinux = errors.New("no XZ-compressed vmlinux in the bzImage")

var xzMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}

// Vmlinux extracts the ELF kernel from a bzImage compressed with XZ (as
// Debian's are), as scripts/extract-vmlinux does. The ELF carries the PVH
// entry point that Xen PVH guests, and QEMU's -kernel, boot through.
func Vmlinux(bzImage []byte) ([]byte, error) {
	for off := 0; ; {
		i := bytes.Index(bzImage[off:], xzMagic)
		if i < 0 {
			return nil, ErrNoVmlinux
		}
		off += i
		if b, ok := tryXZ(bzImage[off:]); ok {
			return b, nil
		}
		off++
	}
}

// tryXZ decompresses one XZ stream with the xz tool and keeps the result
// if it is an x86-64 ELF file. The kernel's stream uses the x86 BCJ
// filter, which Go's XZ readers lack; --single-stream ignores the bytes
// that follow it in the bzImage.
func tryXZ(b []byte) ([]byte, bool) {
	cmd := exec.Command("xz", "-dc", "--single-stream", "-q")
	cmd.Stdin = bytes.NewReader(b)
	out, _ := cmd.Output()
	f, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return nil, false
	}
	return out, true
}

// HasPVHEntry reports whether an ELF kernel has the Xen PVH entry note
// (XEN_ELFNOTE_PHYS32_ENTRY), which PVH guests need.
func HasPVHEntry(vmlinux []byte) (bool, error) {
	f, err := elf.NewFile(bytes.NewReader(vmlinux))
	if err != nil {
		return false, fmt.Errorf("not an ELF kernel: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			return false, err
		}
		if hasXenNote(notes, 18) {
			return true, nil
		}
	}
	return false, nil
}

// hasXenNote walks ELF notes for a "Xen" note of the given type.
func hasXenNote(b []byte, typ uint32) bool {
	for len(b) >= 12 {
		namesz := int(le32(b[0:]))
		descsz := int(le32(b[4:]))
		t := le32(b[8:])
		b = b[12:]
		nlen, dlen := align4(namesz), align4(descsz)
		if nlen < 0 || dlen < 0 || nlen+dlen > len(b) {
			return false
		}
		if t == typ && namesz >= 3 && string(b[:3]) == "Xen" {
			return true
		}
		b = b[nlen+dlen:]
	}
	return false
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func align4(n int) int {
	if n < 0 || n > 1<<30 {
		return -1
	}
	return (n + 3) &^ 3
}
