// Package target is the registry of image targets: each turns the baked
// kernel and initramfs into what one kind of host boots (QEMU, Xen PVH, a
// bootable ISO, a libvirt domain).
package target

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs are what every target builds from.
type Inputs struct {
	// Dir is the output folder; Kernel and Initramfs are file names in
	// it, and so is System, the read-only system disk ("" for none).
	Dir, Kernel, Initramfs, System string
	// Name is the image flavour, e.g. qemu.
	Name      string
	Cmdline   string
	MemoryMiB int
	CPUs      int
}

// Target builds one kind of artifact into in.Dir and returns the names of
// the files it wrote.
type Target interface {
	Build(ctx context.Context, in Inputs) ([]string, error)
}

var registry = map[string]Target{}

// register adds a target; each target's file calls it from init.
func register(name string, t Target) { registry[name] = t }

// Names lists the registered targets, sorted.
func Names() []string {
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Lookup finds a target by name; the error names the accepted values.
func Lookup(name string) (Target, error) {
	t, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("target %q: unknown (accepted: %s)", name, strings.Join(Names(), ", "))
	}
	return t, nil
}

// copyBoot copies the kernel and the initramfs into dir, for the targets
// that pack them into an image of their own, and returns the copies.
func (in Inputs) copyBoot(dir string) ([]string, error) {
	var out []string
	for _, f := range []string{in.Kernel, in.Initramfs} {
		b, err := os.ReadFile(filepath.Join(in.Dir, f))
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, f)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
		out = append(out, dst)
	}
	return out, nil
}
