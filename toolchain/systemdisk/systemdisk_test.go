package systemdisk

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"unicam/runtime/sysdisk"
	"unicam/toolchain/gobuild"
)

func TestArgs(t *testing.T) {
	got := Args("o.erofs", "root", "u")
	want := []string{"mkfs.erofs", "--quiet", "-T0", "-Uu", "--all-root", "-x-1", "o.erofs", "root"}
	if !slices.Equal(got, want) {
		t.Fatalf("Args = %q, want %q", got, want)
	}
}

// TestBuild builds the real programs and system disk twice and reads its
// UUID back the way the guest does.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the app")
	}
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(self), "../..")
	var sums [2][]byte
	for i := range sums {
		root := t.TempDir()
		if _, err := gobuild.Build(repo, filepath.Join(root, "bin"), []string{gobuild.Init, gobuild.App}); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), File)
		uuid, err := Build(context.Background(), root, out)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sysdisk.UUID(f)
		f.Close()
		if err != nil || got != uuid {
			t.Fatalf("image UUID = %q, %v; Build said %q", got, err, uuid)
		}
		if sums[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
			t.Errorf("%s.tmp left behind", out)
		}
	}
	if !slices.Equal(sums[0], sums[1]) {
		t.Error("two builds of the system disk differ")
	}
}
