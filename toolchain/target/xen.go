package target

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"unicam/toolchain/kernel"
)

func init() { register("xen", xenTarget{}) }

// xenTarget writes a PVH guest: the ELF vmlinux (whose PVH entry Xen
// boots), the initramfs, and an xl.cfg.
type xenTarget struct{}

// Xen artifact names.
const (
	VmlinuxFile  = "vmlinux"
	XLConfigFile = "xl.cfg"
	// HostDir is where scripts/deploy-xen.sh (and a libvirt host) keeps
	// each image's files: HostDir/<name>/.
	HostDir = "/var/lib/unicam"
)

func (xenTarget) Build(_ context.Context, in Inputs) ([]string, error) {
	bz, err := os.ReadFile(filepath.Join(in.Dir, in.Kernel))
	if err != nil {
		return nil, err
	}
	v, err := kernel.Vmlinux(bz)
	if err != nil {
		return nil, fmt.Errorf("xen: %w (the xen target needs an XZ-compressed bzImage and the xz tool)", err)
	}
	if ok, err := kernel.HasPVHEntry(v); err != nil || !ok {
		return nil, fmt.Errorf("xen: the kernel has no PVH entry point (build it with CONFIG_PVH=y)")
	}
	if err := os.WriteFile(filepath.Join(in.Dir, VmlinuxFile), v, 0o644); err != nil {
		return nil, err
	}
	cfg := XLConfig(XLParams{Name: "unicam-" + in.Name, Dir: HostDir + "/" + in.Name, Kernel: VmlinuxFile, Ramdisk: in.Initramfs,
		Cmdline: in.Cmdline, MemoryMiB: in.MemoryMiB, CPUs: in.CPUs, Bridge: "xenbr0", Disk: "data.img"})
	return []string{VmlinuxFile, XLConfigFile}, os.WriteFile(filepath.Join(in.Dir, XLConfigFile), []byte(cfg), 0o644)
}

// XLParams are the settings of an xl.cfg.
type XLParams struct {
	Name, Dir, Kernel, Ramdisk, Cmdline, Bridge, Disk string
	MemoryMiB, CPUs                                   int
}

// XLConfig renders an xl.cfg for a PVH guest. It is a pure function.
func XLConfig(p XLParams) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	lines := []string{
		"# unicam PVH guest; scripts/deploy-xen.sh copies this folder to " + p.Dir,
		"name = " + q(p.Name),
		`type = "pvh"`,
		"kernel = " + q(p.Dir+"/"+p.Kernel),
		"ramdisk = " + q(p.Dir+"/"+p.Ramdisk),
		"extra = " + q(p.Cmdline),
		fmt.Sprintf("memory = %d", p.MemoryMiB),
		fmt.Sprintf("vcpus = %d", p.CPUs),
		"vif = [ " + q("bridge="+p.Bridge) + " ]",
		"disk = [ " + q("format=raw, vdev=xvda, access=rw, target="+p.Dir+"/"+p.Disk) + " ]",
		`on_poweroff = "destroy"`,
		`on_reboot = "restart"`,
		`on_crash = "restart"`,
		`on_watchdog = "restart"`,
	}
	return strings.Join(lines, "\n") + "\n"
}
