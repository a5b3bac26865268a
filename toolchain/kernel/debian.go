package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrTool means a host tool the kernel step needs is missing or failed.
var ErrTool = errors.New("kernel tool failed")

// Kernel is an unpacked kernel with its modules.
type Kernel struct {
	// Release is what uname -r prints in the guest, e.g. 6.1.0-57-amd64.
	Release string `json:"release"`
	// Package and PackageVersion name the Debian package it came from.
	Package        string `json:"package,omitempty"`
	PackageVersion string `json:"package_version,omitempty"`
	// PackageSHA256 is the checksum of the .deb.
	PackageSHA256 string `json:"package_sha256,omitempty"`
	// Fragment is the hash of the config fragment a minimal kernel was
	// built with.
	Fragment string `json:"fragment,omitempty"`
	// Image is the bzImage path on the build host.
	Image string `json:"-"`
	// ModDir is lib/modules/<release> on the build host ("" when none).
	ModDir string `json:"-"`
	// Builtin is the modules.builtin of a kernel that loads no modules:
	// every module an image lists must be built in.
	Builtin string `json:"-"`
}

// MetaPackage is the Debian package that always depends on the current
// generic amd64 kernel.
const MetaPackage = "linux-image-amd64"

// Debian resolves the kernel package linux-image-amd64 depends on, and
// downloads, unpacks and depmods it into cacheDir unless it is there.
func Debian(ctx context.Context, cacheDir string, logf func(string, ...any)) (*Kernel, error) {
	pkg, err := dependency(ctx)
	if err != nil {
		return nil, err
	}
	ver, err := run(ctx, "", "apt-cache", "show", "--no-all-versions", pkg)
	if err != nil {
		return nil, err
	}
	k := &Kernel{Package: pkg, PackageVersion: field(ver, "Version"), Release: strings.TrimPrefix(pkg, "linux-image-")}
	dir := filepath.Join(cacheDir, "kernel", pkg+"_"+k.PackageVersion)
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		logf("kernel: fetching %s %s into %s", pkg, k.PackageVersion, dir)
		if err := fetch(ctx, pkg, k.Release, dir); err != nil {
			return nil, err
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, "done"))
	if err != nil {
		return nil, err
	}
	k.PackageSHA256 = strings.TrimSpace(string(sum))
	k.Image = filepath.Join(dir, "root/boot/vmlinuz-"+k.Release)
	k.ModDir = filepath.Join(dir, "root/lib/modules", k.Release)
	return k, nil
}

func dependency(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "apt-cache", "depends", MetaPackage)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(out, "\n") {
		if dep, ok := strings.CutPrefix(strings.TrimSpace(l), "Depends: linux-image-"); ok {
			return "linux-image-" + dep, nil
		}
	}
	return "", fmt.Errorf("%w: %s depends on no linux-image package (run apt-get update)", ErrTool, MetaPackage)
}

func field(control, name string) string {
	for _, l := range strings.Split(control, "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// fetch downloads pkg, unpacks it and runs depmod, in a temporary folder
// renamed into place, so an interrupted fetch leaves nothing half-done.
func fetch(ctx context.Context, pkg, release, dir string) error {
	tmp, err := scratchBeside(dir, ".fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, err := run(ctx, tmp, "apt-get", "download", "-q", pkg); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("%w: apt-get download %s gave %d .deb files", ErrTool, pkg, len(debs))
	}
	sum, err := fileSHA256(debs[0])
	if err != nil {
		return err
	}
	root := filepath.Join(tmp, "root")
	if _, err := run(ctx, "", "dpkg-deb", "-x", debs[0], root); err != nil {
		return err
	}
	if _, err := run(ctx, "", depmodPath(), "-b", root, release); err != nil {
		return err
	}
	if err := os.Remove(debs[0]); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "done"), []byte(sum+"\n"), 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// scratchBeside makes a temporary folder next to dir, on the same file
// system, so the finished result can be renamed into place.
func scratchBeside(dir, prefix string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(filepath.Dir(dir), prefix)
}

func depmodPath() string {
	if p, err := exec.LookPath("depmod"); err == nil {
		return p
	}
	return "/sbin/depmod"
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func run(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("%w: %s not found (run scripts/install-deps.sh, or set kernel: to a bzImage path)", ErrTool, name)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: %w: %s", ErrTool, name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Modules reads the kernel's modules.dep and modules.builtin and returns
// the module files names need.
func (k *Kernel) Modules(names []string) (Deps, []string, error) {
	if len(names) == 0 {
		return Deps{}, nil, nil
	}
	if k.Builtin != "" {
		return Deps{}, nil, k.allBuiltin(names)
	}
	if k.ModDir == "" {
		return nil, nil, fmt.Errorf("kernel %s has no module directory; list no modules: or use kernel: debian", k.Image)
	}
	f, err := os.Open(filepath.Join(k.ModDir, "modules.dep"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	deps, err := ParseDeps(f)
	if err != nil {
		return nil, nil, err
	}
	builtin, _ := os.ReadFile(filepath.Join(k.ModDir, "modules.builtin"))
	files, err := deps.Closure(names, strings.Fields(string(builtin)))
	if err != nil {
		return nil, nil, fmt.Errorf("kernel %s: %w", k.Release, err)
	}
	return deps, files, nil
}

// allBuiltin checks that a kernel without modules has each named driver
// built in.
func (k *Kernel) allBuiltin(names []string) error {
	b, err := os.ReadFile(k.Builtin)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range strings.Fields(string(b)) {
		have[ModuleName(p)] = true
	}
	var missing []string
	for _, n := range names {
		if !have[ModuleName(n)] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: kernel %s has %s neither built in nor as modules (add their CONFIG_ options to toolchain/kernel/minimal.config)", ErrNoModule, k.Release, strings.Join(missing, ", "))
	}
	return nil
}
