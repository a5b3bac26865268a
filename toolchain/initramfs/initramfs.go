// Package initramfs builds the image's initramfs with u-root's uimage: the
// runtime shim as /init, the camera app, the kernel modules and the baked
// configuration, gzip-compressed.
package initramfs

import (
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/u-root/mkuimage/cpio"
	"github.com/u-root/mkuimage/uimage"
	"github.com/u-root/uio/llog"
	"unicam/toolchain/gobuild"
)

// Opts says what goes into the initramfs.
type Opts struct {
	// Out is the .cpio.gz to write.
	Out string
	// Binaries are the guest's Go programs, built (gobuild), as host
	// paths; each goes to /bin under its own name, the runtime as /init.
	Binaries []string
	// KernelRelease names lib/modules/<release> in the image.
	KernelRelease string
	// ModDir is the host folder holding ModuleFiles.
	ModDir string
	// ModuleFiles are module paths relative to ModDir.
	ModuleFiles []string
	// ModulesDep is modules.dep for ModuleFiles.
	ModulesDep string
	// Modules is the load list, /etc/unicam/modules.
	Modules []string
	// Defaults is /etc/unicam/defaults.conf.
	Defaults string
	// SystemUUID, for an image whose app lives on a system disk, is that
	// disk's erofs UUID, written to /etc/unicam/system-disk.
	SystemUUID string
	// Log receives the builder's progress; nil is quiet.
	Log io.Writer
}

// Build writes the initramfs, through a temporary file renamed into place.
func Build(o Opts) error {
	tmpDir, err := os.MkdirTemp("", "unicam-initramfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	var bins []string
	for _, b := range o.Binaries {
		bins = append(bins, b+":bin/"+filepath.Base(b))
	}
	cpioPath := filepath.Join(tmpDir, "initramfs.cpio")
	if err := uimage.Create(logger(o.Log), o.modifiers(tmpDir, cpioPath, bins)...); err != nil {
		return fmt.Errorf("build initramfs with u-root: %w", err)
	}
	return gzipInto(cpioPath, o.Out)
}

func (o Opts) modifiers(tmpDir, cpioPath string, bins []string) []uimage.Modifier {
	mods := []uimage.Modifier{
		uimage.WithBaseArchive(o.base()),
		uimage.WithFiles(bins...),
		uimage.WithInit("/bin/" + filepath.Base(gobuild.Init)),
		// The kernel's orderly power-off (Xen's xl shutdown) runs
		// /sbin/poweroff: the init binary, run as that, signals PID 1.
		uimage.WithSymlink("sbin/poweroff", "/bin/"+filepath.Base(gobuild.Init)),
		uimage.WithSymlink("sbin/reboot", "/bin/"+filepath.Base(gobuild.Init)),
		uimage.WithSkipLDD(),
		uimage.WithTempDir(tmpDir),
		uimage.WithCPIOOutput(cpioPath),
	}
	modRoot := filepath.Join("lib/modules", o.KernelRelease)
	for _, f := range o.ModuleFiles {
		mods = append(mods, uimage.WithFiles(filepath.Join(o.ModDir, f)+":"+filepath.Join(modRoot, f)))
	}
	return mods
}

// base holds the records that are not Go binaries or module files: the
// folders PID 1 mounts on, the console device the kernel opens before
// /init runs, and the baked configuration.
func (o Opts) base() *cpio.Archive {
	recs := []cpio.Record{
		cpio.Directory("bin", 0o755), cpio.Directory("dev", 0o755), cpio.Directory("etc", 0o755),
		cpio.Directory("etc/unicam", 0o755), cpio.Directory("proc", 0o755), cpio.Directory("sys", 0o755),
		cpio.Directory("run", 0o755), cpio.Directory("tmp", 0o1777), cpio.Directory("data", 0o755),
		cpio.CharDev("dev/console", 0o600, 5, 1), cpio.CharDev("dev/null", 0o666, 1, 3),
		cpio.StaticFile("etc/unicam/defaults.conf", o.Defaults, 0o644),
		cpio.StaticFile("etc/resolv.conf", "", 0o644),
	}
	// No list at all when the kernel has its drivers built in: the
	// runtime then has nothing to load.
	if len(o.Modules) > 0 {
		recs = append(recs, cpio.StaticFile("etc/unicam/modules", strings.Join(o.Modules, "\n")+"\n", 0o644))
	}
	if o.SystemUUID != "" {
		recs = append(recs, cpio.StaticFile("etc/unicam/system-disk", o.SystemUUID+"\n", 0o644))
	}
	if o.KernelRelease != "" && len(o.ModuleFiles) > 0 {
		dir := "lib/modules/" + o.KernelRelease
		recs = append(recs, cpio.Directory("lib", 0o755), cpio.Directory("lib/modules", 0o755), cpio.Directory(dir, 0o755),
			cpio.StaticFile(dir+"/modules.dep", o.ModulesDep, 0o644))
	}
	a, _ := cpio.ArchiveFromRecords(recs)
	return a
}

func logger(w io.Writer) *llog.Logger {
	if w == nil {
		w = io.Discard
	}
	return llog.New(slog.LevelInfo, llog.WritePrintf(w))
}

// gzipInto compresses src to dst (with no name or time in the header, so
// equal input gives equal bytes) via dst.tmp renamed into place.
func gzipInto(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
