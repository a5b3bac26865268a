package bake

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func repo() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "../..")
}

func cacheDir() string {
	c, _ := os.UserCacheDir()
	return filepath.Join(c, "unicam")
}

// TestReproducible bakes every shipped image twice, from the same
// checkout, and compares the sha256 of every artifact.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("bakes images twice")
	}
	specs, _ := filepath.Glob(filepath.Join(repo(), "images", "*.yaml"))
	for _, spec := range specs {
		var runs [2]*Manifest
		for i := range runs {
			dir, err := Run(context.Background(), Opts{Spec: spec, OutDir: t.TempDir(), CacheDir: cacheDir(), RepoDir: repo(), Log: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if runs[i], err = ReadManifest(dir); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(runs[0].Files, runs[1].Files) {
			t.Errorf("%s: two bakes differ:\n%+v\n%+v", filepath.Base(spec), runs[0].Files, runs[1].Files)
		}
		t.Logf("%s: %d artifacts identical", filepath.Base(spec), len(runs[0].Files))
	}
}

// TestBadDefinitionLeavesNothing checks that a definition naming an
// unknown target fails with the key and leaves no half-built folder.
func TestBadDefinitionLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the kernel")
	}
	b, _ := os.ReadFile(filepath.Join(repo(), "images", "qemu.yaml"))
	spec := filepath.Join(t.TempDir(), "bad.yaml")
	bad := regexp.MustCompile(`(?m)^targets: .*$`).ReplaceAllString(string(b), "targets: [qemu, vmware]")
	if bad == string(b) {
		t.Fatal("images/qemu.yaml has no targets: line to break")
	}
	os.WriteFile(spec, []byte(bad), 0o644)
	out := t.TempDir()
	_, err := Run(context.Background(), Opts{Spec: spec, OutDir: out, CacheDir: cacheDir(), RepoDir: repo(), Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "targets") || !strings.Contains(err.Error(), `"vmware"`) {
		t.Fatalf("Run = %v, want an error naming targets and vmware", err)
	}
	left, _ := os.ReadDir(out)
	if len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
