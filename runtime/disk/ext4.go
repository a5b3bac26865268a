// Package disk finds the data disk (an ext4 filesystem labelled UNICAM,
// else the first virtio, Xen or SCSI disk holding ext4) and mounts it.
package disk

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
)

// ErrNotExt4 means a device holds no ext2/3/4 superblock.
var ErrNotExt4 = errors.New("no ext4 filesystem")

const (
	superblockOff = 1024
	magicOff      = 0x38
	labelOff      = 0x78
	ext4Magic     = 0xEF53
)

// Label reads the volume label of the ext4 filesystem on r.
func Label(r io.ReaderAt) (string, error) {
	sb := make([]byte, 256)
	if _, err := r.ReadAt(sb, superblockOff); err != nil {
		return "", err
	}
	if binary.LittleEndian.Uint16(sb[magicOff:]) != ext4Magic {
		return "", ErrNotExt4
	}
	label := sb[labelOff : labelOff+16]
	if i := strings.IndexByte(string(label), 0); i >= 0 {
		label = label[:i]
	}
	return string(label), nil
}
