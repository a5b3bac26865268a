package sysdisk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// superblock returns an image with an erofs superblock carrying uuid.
func superblock(uuid [16]byte) []byte {
	b := make([]byte, 4096)
	binary.LittleEndian.PutUint32(b[superblockOff:], erofsMagic)
	copy(b[superblockOff+uuidOff:], uuid[:])
	return b
}

func TestUUID(t *testing.T) {
	var u [16]byte
	for i := range u {
		u[i] = byte(0x10 + i)
	}
	got, err := UUID(bytes.NewReader(superblock(u)))
	if err != nil || got != "10111213-1415-1617-1819-1a1b1c1d1e1f" {
		t.Fatalf("UUID = %q, %v", got, err)
	}
	ext4 := make([]byte, 4096)
	binary.LittleEndian.PutUint16(ext4[superblockOff+0x38:], 0xEF53)
	if _, err := UUID(bytes.NewReader(ext4)); !errors.Is(err, ErrNotErofs) {
		t.Fatalf("ext4 image: err = %v, want ErrNotErofs", err)
	}
	if _, err := UUID(bytes.NewReader(make([]byte, 100))); err == nil {
		t.Fatal("short image: no error")
	}
}

// TestFind lays out a fake /sys/class/block and /dev with an ext4 data
// disk, a system disk of another bake and the right one.
func TestFind(t *testing.T) {
	sys, dev := t.TempDir(), t.TempDir()
	want := [16]byte{1, 2, 3}
	other := [16]byte{9}
	ext4 := make([]byte, 4096)
	binary.LittleEndian.PutUint16(ext4[superblockOff+0x38:], 0xEF53)
	for name, b := range map[string][]byte{"vda": ext4, "vdb": superblock(other), "vdc": superblock(want)} {
		if err := os.Mkdir(filepath.Join(sys, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	uuid := FormatUUID(want[:])
	got, err := Find(sys, dev, uuid)
	if err != nil || got != filepath.Join(dev, "vdc") {
		t.Fatalf("Find = %q, %v; want vdc", got, err)
	}
	os.Remove(filepath.Join(dev, "vdc"))
	_, err = Find(sys, dev, uuid)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "vdb is "+FormatUUID(other[:])) {
		t.Fatalf("wrong system disk only: err = %v; want ErrNotFound naming vdb's UUID", err)
	}
	os.Remove(filepath.Join(dev, "vdb"))
	if _, err = Find(sys, dev, uuid); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "system.erofs") {
		t.Fatalf("no system disk: err = %v; want ErrNotFound naming system.erofs", err)
	}
}

func FuzzUUID(f *testing.F) {
	f.Add(superblock([16]byte{1}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := UUID(bytes.NewReader(b))
		if err == nil && len(u) != 36 {
			t.Fatalf("UUID %q: want 36 characters", u)
		}
	})
}
