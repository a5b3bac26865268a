package initramfs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/u-root/mkuimage/cpio"
	"unicam/toolchain/gobuild"
)

// TestBuildRecords builds a real initramfs and checks its records without
// booting it.
func TestBuildRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the image's Go programs")
	}
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(self), "../..")
	modDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(modDir, "kernel/fs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(modDir, "kernel/fs/ext4.ko"), []byte("not really a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	bins, err := gobuild.Build(repo, t.TempDir(), []string{gobuild.Init, gobuild.App})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
	o := Opts{Out: out, Binaries: bins, KernelRelease: "6.1.0-test", ModDir: modDir,
		ModuleFiles: []string{"kernel/fs/ext4.ko"}, ModulesDep: "kernel/fs/ext4.ko:\n",
		Modules: []string{"ext4"}, Defaults: "segment=1m\n"}
	if err := Build(o); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, out)
	if r, ok := recs["init"]; !ok || r.Mode&cpio.S_IFMT != cpio.S_IFLNK || content(t, r) != "bin/init" {
		t.Errorf("init: %+v, want a symlink to bin/init", r.Info)
	}
	for name, want := range map[string]string{
		"etc/unicam/defaults.conf":                 "segment=1m\n",
		"etc/unicam/modules":                       "ext4\n",
		"lib/modules/6.1.0-test/modules.dep":       "kernel/fs/ext4.ko:\n",
		"lib/modules/6.1.0-test/kernel/fs/ext4.ko": "not really a module",
	} {
		if got := content(t, recs[name]); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if r := recs["sbin/poweroff"]; r.Mode&cpio.S_IFMT != cpio.S_IFLNK || content(t, r) != "../bin/init" {
		t.Errorf("sbin/poweroff: %+v %q, want a symlink to the init", r.Info, content(t, r))
	}
	for _, name := range []string{"bin/init", "bin/camera"} {
		if b := content(t, recs[name]); len(b) < 1<<20 || b[:4] != "\x7fELF" {
			t.Errorf("%s: not an ELF binary (%d bytes)", name, len(b))
		}
	}
	if r := recs["dev/console"]; r.Mode&cpio.S_IFMT != cpio.S_IFCHR || r.Rmajor != 5 || r.Rminor != 1 {
		t.Errorf("dev/console: %+v", r.Info)
	}
	for name, r := range recs {
		if r.MTime != 0 {
			t.Errorf("%s has mtime %d; records must be reproducible", name, r.MTime)
		}
	}
}

func readRecords(t *testing.T, path string) map[string]cpio.Record {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	rr := cpio.Newc.Reader(bytes.NewReader(raw))
	recs, err := cpio.ReadAllRecords(rr)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]cpio.Record{}
	for _, r := range recs {
		m[r.Name] = r
	}
	return m
}

func content(t *testing.T, r cpio.Record) string {
	if r.ReaderAt == nil {
		return ""
	}
	b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
