package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func superblock(label string) []byte {
	b := make([]byte, 4096)
	binary.LittleEndian.PutUint16(b[superblockOff+magicOff:], ext4Magic)
	copy(b[superblockOff+labelOff:], label)
	return b
}

func TestLabel(t *testing.T) {
	got, err := Label(bytes.NewReader(superblock("UNICAM")))
	if err != nil || got != "UNICAM" {
		t.Errorf("Label = %q, %v", got, err)
	}
	if _, err := Label(bytes.NewReader(make([]byte, 4096))); !errors.Is(err, ErrNotExt4) {
		t.Errorf("Label(zeros) = %v, want ErrNotExt4", err)
	}
}

// TestLabelRealFilesystem reads the label mke2fs wrote, when it is installed.
func TestLabelRealFilesystem(t *testing.T) {
	mke2fs, err := exec.LookPath("mke2fs")
	if err != nil {
		mke2fs = "/usr/sbin/mke2fs"
	}
	img := filepath.Join(t.TempDir(), "d.img")
	if out, err := exec.Command(mke2fs, "-q", "-t", "ext4", "-L", "UNICAM", img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := Label(f); err != nil || got != "UNICAM" {
		t.Errorf("Label(mke2fs image) = %q, %v", got, err)
	}
}

func TestChoose(t *testing.T) {
	cands := []Candidate{{"/dev/sda", "OTHER"}, {"/dev/vdb", "UNICAM"}, {"/dev/vdc", ""}}
	if d, _ := Choose(cands, "UNICAM"); d != "/dev/vdb" {
		t.Errorf("Choose by label = %s", d)
	}
	if d, _ := Choose(cands[:1], "UNICAM"); d != "/dev/sda" {
		t.Errorf("Choose fallback = %s", d)
	}
	if _, err := Choose(nil, "UNICAM"); !errors.Is(err, ErrNoDisk) {
		t.Errorf("Choose(none) = %v", err)
	}
}

func FuzzLabel(f *testing.F) {
	f.Add(superblock("UNICAM"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Label(bytes.NewReader(b))
		if err == nil && len(l) > 16 {
			t.Fatalf("label %q longer than 16 bytes", l)
		}
	})
}
