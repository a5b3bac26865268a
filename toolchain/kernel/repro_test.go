package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestMinimalKernelReproducible builds the minimal kernel twice from
// scratch, in two new caches (two different build folders), and compares
// the bzImages byte for byte. Two clean builds take about 12 minutes on
// 2 cores, so it runs with UNICAM_KERNEL_REPRO=1 (make kernel-repro),
// not in make test; the bakes' own reproducibility (TestReproducible) is.
func TestMinimalKernelReproducible(t *testing.T) {
	if os.Getenv("UNICAM_KERNEL_REPRO") == "" {
		t.Skip("two clean kernel builds: run with UNICAM_KERNEL_REPRO=1 (make kernel-repro)")
	}
	var images [][]byte
	for range 2 {
		k, err := Minimal(context.Background(), t.TempDir(), t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(k.Image)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, b)
	}
	if !bytes.Equal(images[0], images[1]) {
		t.Fatalf("two clean builds differ: %d and %d bytes", len(images[0]), len(images[1]))
	}
	t.Logf("two clean builds: identical bzImage, %d bytes, sha256 %x (%s)", len(images[0]), sha256.Sum256(images[0]), filepath.Base(SourceGlob))
}
