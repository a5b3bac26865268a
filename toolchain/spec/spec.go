// Package spec reads and validates an image definition (images/*.yaml).
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid marks a definition that cannot be built; the message names
// the file and the key.
var ErrInvalid = errors.New("invalid image definition")

// Image is one image flavour.
type Image struct {
	// Name names the output folder, images/out/<name>.
	Name string `yaml:"name"`
	// Kernel is "debian" (Debian's linux-image-amd64), "minimal" (built
	// from Debian's linux-source with toolchain/kernel/minimal.config) or
	// a path to a bzImage, taken as given.
	Kernel string `yaml:"kernel"`
	// Modules are loaded at boot in this order, with their dependencies.
	Modules []string `yaml:"modules"`
	// Cmdline is the kernel command line the launcher passes.
	Cmdline string `yaml:"cmdline"`
	// MemoryMiB is the guest memory.
	MemoryMiB int `yaml:"memory_mib"`
	// CPUs is the guest's virtual CPU count.
	CPUs int `yaml:"cpus"`
	// DiskSize is the size of the data disk make disk creates, e.g. 1G.
	DiskSize string `yaml:"disk_size"`
	// Config holds the baked defaults: keys as on the kernel command line
	// without "unicam.".
	Config map[string]string `yaml:"config"`
	// Targets are the artifacts to bake besides kernel and initramfs:
	// qemu, xen, iso, libvirt (default: qemu).
	Targets []string `yaml:"targets"`
	// SystemDisk keeps the app out of the initramfs, on a read-only erofs
	// system disk (system.erofs) that the guest pages in on demand: the
	// least memory. Minimal kernel and the qemu target only.
	SystemDisk bool `yaml:"system_disk"`
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	moduleRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	keyRE    = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	sizeRE   = regexp.MustCompile(`^[1-9][0-9]*[KMGT]$`)
)

// Parse reads a definition; unknown keys are errors. file names errors.
func Parse(file string, r io.Reader) (*Image, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	img := &Image{Kernel: "debian", MemoryMiB: 512, CPUs: 1, DiskSize: "1G", Targets: []string{"qemu"}}
	if err := dec.Decode(img); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w: %w", file, ErrInvalid, err)
	}
	if err := img.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return img, nil
}

// Load reads the definition at path.
func Load(path string) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read image definition: %w", err)
	}
	return Parse(path, bytes.NewReader(b))
}

// Validate names the first key whose value cannot be built.
func (img *Image) Validate() error {
	bad := func(key, val, want string) error {
		return fmt.Errorf("%w: %s: %q: want %s", ErrInvalid, key, val, want)
	}
	switch {
	case !nameRE.MatchString(img.Name):
		return bad("name", img.Name, "lower-case letters, digits and -, e.g. qemu")
	case img.Kernel == "":
		return bad("kernel", img.Kernel, `"debian", "minimal" or a path to a bzImage`)
	case img.MemoryMiB < 32 || img.MemoryMiB > 65536:
		return bad("memory_mib", strconv.Itoa(img.MemoryMiB), "32..65536")
	case img.CPUs < 1 || img.CPUs > 64:
		return bad("cpus", strconv.Itoa(img.CPUs), "1..64")
	case !sizeRE.MatchString(img.DiskSize):
		return bad("disk_size", img.DiskSize, "a whole size in K, M, G or T, e.g. 1G")
	case strings.ContainsAny(img.Cmdline, "\n\x00"):
		return bad("cmdline", img.Cmdline, "one line")
	case img.SystemDisk && img.Kernel != "minimal":
		return bad("system_disk", "true", "kernel: minimal (it has the erofs driver built in), or system_disk: false")
	case img.SystemDisk && !slices.Equal(img.Targets, []string{"qemu"}):
		return bad("system_disk", "true", "targets: [qemu] (only the QEMU command attaches the system disk), or system_disk: false")
	}
	for _, m := range img.Modules {
		if !moduleRE.MatchString(m) {
			return bad("modules", m, "a kernel module name such as virtio_blk")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(img.Config)) {
		if !keyRE.MatchString(k) {
			return bad("config", k, "keys of lower-case letters, digits, - and _")
		}
		if strings.ContainsAny(img.Config[k], "\n\x00") {
			return bad("config."+k, img.Config[k], "one line")
		}
	}
	return nil
}

// DefaultsFile renders Config as the image's /etc/unicam/defaults.conf,
// sorted so the same definition gives the same bytes.
func (img *Image) DefaultsFile() string {
	var b strings.Builder
	b.WriteString("# Baked defaults; /data/unicam.conf and unicam.* on the kernel command line override them.\n")
	for _, k := range slices.Sorted(maps.Keys(img.Config)) {
		fmt.Fprintf(&b, "%s=%s\n", k, img.Config[k])
	}
	return b.String()
}
