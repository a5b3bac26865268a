// Package sysdisk finds and mounts the read-only system disk: an erofs
// image holding the camera app, for images that keep the app out of the
// initramfs (system_disk: true). Its pages are read from the disk as they
// are used and dropped under memory pressure, where an initramfs holds
// every byte in RAM for the life of the guest.
package sysdisk

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
)

// ErrNotErofs means a device holds no erofs superblock.
var ErrNotErofs = errors.New("no erofs filesystem")

const (
	superblockOff = 1024
	erofsMagic    = 0xE0F5E1E2
	uuidOff       = 48
)

// UUID reads the filesystem UUID of the erofs image on r, formatted as
// 8-4-4-4-12 lower-case hex.
func UUID(r io.ReaderAt) (string, error) {
	sb := make([]byte, 128)
	if _, err := r.ReadAt(sb, superblockOff); err != nil {
		return "", err
	}
	if binary.LittleEndian.Uint32(sb) != erofsMagic {
		return "", ErrNotErofs
	}
	return FormatUUID(sb[uuidOff : uuidOff+16]), nil
}

// FormatUUID renders 16 bytes as 8-4-4-4-12 lower-case hex.
func FormatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
