// Package bake turns an image definition into bootable artifacts: the
// kernel, the initramfs and a manifest with their checksums.
package bake

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"unicam/toolchain/gobuild"
	"unicam/toolchain/initramfs"
	"unicam/toolchain/kernel"
	"unicam/toolchain/spec"
	"unicam/toolchain/systemdisk"
	"unicam/toolchain/target"
)

// Opts are the inputs of one bake.
type Opts struct {
	// Spec is the image definition, e.g. images/qemu.yaml.
	Spec string
	// OutDir receives <name>/ with the artifacts, e.g. images/out.
	OutDir string
	// CacheDir keeps downloaded kernels between bakes.
	CacheDir string
	// RepoDir is the repository root (the Go module).
	RepoDir string
	// Kernel, when set, replaces the definition's kernel: "debian",
	// "minimal" or a bzImage path (make's KERNEL=).
	Kernel string
	// Log receives progress lines.
	Log io.Writer
}

// Run bakes the image and returns its output folder. Artifacts are built
// in a temporary folder that replaces the old one only when complete.
func Run(ctx context.Context, o Opts) (string, error) {
	img, err := spec.Load(o.Spec)
	if err != nil {
		return "", err
	}
	logf := func(f string, a ...any) { fmt.Fprintf(o.Log, "bake: "+f+"\n", a...) }
	if o.Kernel != "" {
		img.Kernel = o.Kernel
		if err := img.Validate(); err != nil {
			return "", fmt.Errorf("%s with KERNEL=%s: %w", o.Spec, o.Kernel, err)
		}
	}
	k, err := getKernel(ctx, img.Kernel, o.CacheDir, logf)
	if err != nil {
		return "", err
	}
	mods := bootModules(k, img.Modules, logf)
	check := img.Modules
	if k.Builtin == "" {
		check = mods
	}
	deps, files, err := k.Modules(check)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp(o.OutDir, "."+img.Name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	// The programs are built once, into what becomes the system disk's
	// root when the image has one.
	progRoot := filepath.Join(stage, ".programs")
	bins, err := gobuild.Build(o.RepoDir, filepath.Join(progRoot, "bin"), []string{gobuild.Init, gobuild.App})
	if err != nil {
		return "", err
	}
	ro := initramfs.Opts{
		Out: filepath.Join(stage, InitramfsFile), Binaries: bins,
		KernelRelease: k.Release, ModDir: k.ModDir, ModuleFiles: files, ModulesDep: deps.Subset(files),
		Modules: mods, Defaults: img.DefaultsFile(), Log: o.Log,
	}
	var system string
	if img.SystemDisk {
		logf("system disk: the app on %s, read-only erofs", systemdisk.File)
		if ro.SystemUUID, err = systemdisk.Build(ctx, progRoot, filepath.Join(stage, systemdisk.File)); err != nil {
			return "", fmt.Errorf("system disk: %w", err)
		}
		ro.Binaries, system = bins[:1], systemdisk.File
	}
	logf("initramfs: %d Go programs, %d module files for kernel %s", len(ro.Binaries), len(files), k.Release)
	if err := initramfs.Build(ro); err != nil {
		return "", err
	}
	os.RemoveAll(progRoot)
	if err := copyFile(k.Image, filepath.Join(stage, KernelFile)); err != nil {
		return "", fmt.Errorf("copy kernel: %w", err)
	}
	extra, err := buildTargets(ctx, img, stage, system)
	if err != nil {
		return "", fmt.Errorf("%s: %w", o.Spec, err)
	}
	m := &Manifest{Image: img.Name, Kernel: *k, Cmdline: img.Cmdline, MemoryMiB: img.MemoryMiB, CPUs: img.CPUs,
		DiskSize: img.DiskSize, Modules: img.Modules, Config: img.Config, Targets: img.Targets, SystemDisk: system}
	artifacts := []string{KernelFile, InitramfsFile}
	if system != "" {
		artifacts = append(artifacts, system)
	}
	for _, f := range append(artifacts, extra...) {
		if err := m.addFile(stage, f); err != nil {
			return "", err
		}
	}
	if err := m.write(stage); err != nil {
		return "", err
	}
	return publish(stage, filepath.Join(o.OutDir, img.Name))
}

// buildTargets runs each target the definition names, in order, and
// returns the files they wrote.
func buildTargets(ctx context.Context, img *spec.Image, stage, system string) ([]string, error) {
	in := target.Inputs{Dir: stage, Kernel: KernelFile, Initramfs: InitramfsFile, System: system, Name: img.Name,
		Cmdline: img.Cmdline, MemoryMiB: img.MemoryMiB, CPUs: img.CPUs}
	var files []string
	for _, name := range img.Targets {
		t, err := target.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("targets: %w", err)
		}
		f, err := t.Build(ctx, in)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

func getKernel(ctx context.Context, kind, cacheDir string, logf func(string, ...any)) (*kernel.Kernel, error) {
	switch kind {
	case "debian":
		return kernel.Debian(ctx, cacheDir, logf)
	case "minimal":
		return kernel.Minimal(ctx, cacheDir, logf)
	}
	if _, err := os.Stat(kind); err != nil {
		return nil, fmt.Errorf("kernel: %w (set kernel: or KERNEL= to debian, minimal or an existing bzImage)", err)
	}
	return &kernel.Kernel{Image: kind, Release: "given"}, nil
}

// bootModules are the modules the runtime loads at boot: none for a kernel
// that has them built in, or for one taken as given (which must).
func bootModules(k *kernel.Kernel, names []string, logf func(string, ...any)) []string {
	switch {
	case k.Builtin != "":
		return nil
	case k.ModDir == "" && len(names) > 0:
		logf("kernel %s taken as given: it must have built in %s", k.Image, strings.Join(names, ", "))
		return nil
	}
	return names
}

// publish swaps the finished stage in for the old output folder.
func publish(stage, dst string) (string, error) {
	old := dst + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	if err := os.Rename(stage, dst); err != nil {
		return "", err
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		return "", err
	}
	return dst, os.RemoveAll(old)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
