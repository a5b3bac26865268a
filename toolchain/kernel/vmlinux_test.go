package kernel

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVmlinuxFromDebianKernel extracts the ELF from the cached Debian
// bzImage, when a bake has fetched one, and checks its PVH entry note.
func TestVmlinuxFromDebianKernel(t *testing.T) {
	cache, _ := os.UserCacheDir()
	imgs, _ := filepath.Glob(filepath.Join(cache, "unicam/kernel/*/root/boot/vmlinuz-*"))
	if len(imgs) == 0 {
		t.Fatal("no Debian kernel in the cache: run make image first (make test does)")
	}
	bz, err := os.ReadFile(imgs[0])
	if err != nil {
		t.Fatal(err)
	}
	v, err := Vmlinux(bz)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := HasPVHEntry(v)
	if err != nil || !ok {
		t.Errorf("vmlinux of %d bytes: PVH entry %v, %v", len(v), ok, err)
	}
	if _, err := Vmlinux(bz[:4096]); err == nil {
		t.Error("a truncated bzImage gave a vmlinux")
	}
}

func FuzzHasXenNote(f *testing.F) {
	f.Add([]byte("\x04\x00\x00\x00\x04\x00\x00\x00\x12\x00\x00\x00Xen\x00\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hasXenNote(b, 18)
	})
}
