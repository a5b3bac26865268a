package images

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/u-root/mkuimage/cpio"

	"unicam/toolchain/bake"
)

// initramfsFiles lists the regular files in a gzipped initramfs with
// their sizes.
func initramfsFiles(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files := map[string]int64{}
	rr := cpio.Newc.Reader(bytes.NewReader(raw))
	for {
		rec, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if rec.Mode&cpio.S_IFMT == cpio.S_IFREG {
			files[rec.Name] = int64(rec.FileSize)
		}
	}
}

// allocated is the disk space a (sparse) file takes.
func allocated(path string) int64 {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return 0
	}
	return st.Blocks * 512
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// BenchmarkSizes reports every artifact of the qemu, tiny and xen images
// next to the kernel plus the app binary alone (what any image must
// carry), and checks the size goals: the initramfs with Debian's
// module closure ≤ 8 MiB compressed, the minimal kernel ≤ 3 MiB.
func BenchmarkSizes(b *testing.B) {
	for b.Loop() {
		for i, image := range []string{"qemu", "tiny", "xen"} {
			sizesOf(b, fmt.Sprintf("Z%d", i+1), image)
		}
	}
}

func sizesOf(b *testing.B, id, image string) {
	dir := bakedImage(b, image)
	m, err := bake.ReadManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	files, err := initramfsFiles(filepath.Join(dir, bake.InitramfsFile))
	if err != nil {
		b.Fatal(err)
	}
	var kernel, initramfs, system int64
	var parts []string
	for _, f := range m.Files {
		switch f.Name {
		case bake.KernelFile:
			kernel = f.Size
		case bake.InitramfsFile:
			initramfs = f.Size
		case m.SystemDisk:
			system = f.Size
		}
		if strings.HasSuffix(f.Name, ".raw") {
			parts = append(parts, fmt.Sprintf("%s %s (%s allocated: sparse, with its %s data partition)", f.Name, mib(f.Size), mib(allocated(filepath.Join(dir, f.Name))), m.DiskSize))
		} else if f.Size >= 1<<16 {
			parts = append(parts, f.Name+" "+mib(f.Size))
		}
	}
	app := files["bin/camera"]
	if m.SystemDisk != "" {
		// The app alone is most of the (uncompressed) system disk.
		app = system
	}
	if app == 0 {
		b.Fatalf("%s: no bin/camera in the initramfs and no system disk", image)
	}
	var mods int64
	nmods := 0
	for name, n := range files {
		if strings.HasSuffix(name, ".ko") || strings.HasSuffix(name, ".ko.xz") {
			mods += n
			nmods++
		}
	}
	b.ReportMetric(float64(kernel+initramfs+system)/(1<<20), image+"-boot-MiB")
	b.ReportMetric(float64(kernel+app)/(1<<20), image+"-kernel+app-MiB")
	met, goal := true, "no goal set"
	switch {
	case m.Kernel.Fragment != "":
		met, goal = kernel <= 3<<20, "goal: the minimal kernel ≤ 3 MiB"
	case len(m.Modules) > 0:
		met, goal = initramfs <= 8<<20, "goal: the initramfs with the module closure ≤ 8 MiB"
	}
	benchFigure(b, id, fmt.Sprintf("sizes of the %s image (%s) next to the kernel plus the app binary alone (%s)", image, kernelName(m), goal), met,
		"kernel + initramfs (+ system disk) **%s**, vs kernel + app alone %s (kernel %s, app %s uncompressed; the initramfs also holds the runtime %s and %d module files, %s); %s",
		mib(kernel+initramfs+system), mib(kernel+app), mib(kernel), mib(app), mib(files["init"]+files["bin/init"]), nmods, mib(mods), strings.Join(parts, ", "))
}
