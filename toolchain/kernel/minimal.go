package kernel

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Fragment is the config fragment of unicam's minimal kernel, merged over
// `make tinyconfig`.
//
//go:embed minimal.config
var Fragment string

// ErrConfig means the kernel's final .config lacks an option the fragment
// asks for (a dependency the fragment does not satisfy).
var ErrConfig = errors.New("kernel config lacks options the fragment sets")

// SourceGlob is where Debian's linux-source package puts the tarball.
const SourceGlob = "/usr/src/linux-source-*.tar.xz"

// Minimal returns unicam's minimal kernel, building it from Debian's
// linux-source with Fragment unless the cache holds it. The cache key is
// the source package's version and the fragment's hash.
func Minimal(ctx context.Context, cacheDir string, logf func(string, ...any)) (*Kernel, error) {
	tarball, pkg, ver, err := linuxSource(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(Fragment))
	dir := filepath.Join(cacheDir, "kernel", "minimal_"+ver+"_"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		if err := buildMinimal(ctx, tarball, dir, logf); err != nil {
			return nil, err
		}
	}
	rel, err := os.ReadFile(filepath.Join(dir, "done"))
	if err != nil {
		return nil, err
	}
	return &Kernel{Release: strings.TrimSpace(string(rel)), Package: pkg, PackageVersion: ver,
		Fragment: "sha256:" + hex.EncodeToString(sum[:]), Image: filepath.Join(dir, "bzImage"),
		Builtin: filepath.Join(dir, "modules.builtin")}, nil
}

// linuxSource finds the installed source tarball and its package version.
func linuxSource(ctx context.Context) (tarball, pkg, version string, err error) {
	found, _ := filepath.Glob(SourceGlob)
	if len(found) == 0 {
		return "", "", "", fmt.Errorf("%w: no %s: install Debian's linux-source (scripts/install-deps.sh does)", ErrTool, SourceGlob)
	}
	tarball = found[len(found)-1]
	pkg = strings.TrimSuffix(filepath.Base(tarball), ".tar.xz")
	version, err = run(ctx, "", "dpkg-query", "-W", "-f=${Version}", pkg)
	return tarball, pkg, strings.TrimSpace(version), err
}

// buildMinimal configures and builds the kernel in a scratch tree beside
// dir, keeps bzImage, .config and modules.builtin, and renames the result
// into place only when complete.
func buildMinimal(ctx context.Context, tarball, dir string, logf func(string, ...any)) error {
	work, err := scratchBeside(dir, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	logf("kernel: building the minimal kernel from %s (several minutes on 2 cores; cached afterwards in %s)", tarball, dir)
	if _, err := run(ctx, work, "tar", "-xf", tarball, "--strip-components=1"); err != nil {
		return err
	}
	frag := filepath.Join(work, "unicam.config")
	if err := os.WriteFile(frag, []byte(Fragment), 0o644); err != nil {
		return err
	}
	for _, step := range configureSteps(frag) {
		if _, err := run(ctx, work, step[0], step[1:]...); err != nil {
			return err
		}
	}
	cfg, err := os.ReadFile(filepath.Join(work, ".config"))
	if err != nil {
		return err
	}
	if missing := Missing(Fragment, string(cfg)); len(missing) > 0 {
		return fmt.Errorf("%w: %s (fix toolchain/kernel/minimal.config: add what they depend on)", ErrConfig, strings.Join(missing, ", "))
	}
	if err := makeWithProgress(ctx, work, logf); err != nil {
		return err
	}
	return keepMinimal(ctx, work, dir)
}

// configureSteps are the commands that make the .config: tinyconfig, the
// fragment merged over it, and the dependencies settled.
func configureSteps(fragment string) [][]string {
	return [][]string{
		append([]string{"make"}, append(buildVars(), "tinyconfig")...),
		{"scripts/kconfig/merge_config.sh", "-m", ".config", fragment},
		append([]string{"make"}, append(buildVars(), "olddefconfig")...),
	}
}

// buildVars make the build reproducible: the same source and fragment
// give the same bzImage on any machine, any day.
func buildVars() []string {
	return []string{"KBUILD_BUILD_TIMESTAMP=1970-01-01", "KBUILD_BUILD_USER=unicam", "KBUILD_BUILD_HOST=unicam", "KBUILD_BUILD_VERSION=1"}
}

// makeWithProgress builds bzImage on every core, reporting how many files
// it has compiled every 15 seconds.
func makeWithProgress(ctx context.Context, work string, logf func(string, ...any)) error {
	args := append(append([]string{"-j" + strconv.Itoa(runtime.NumCPU())}, buildVars()...), "bzImage")
	cmd := exec.CommandContext(ctx, "make", args...)
	cmd.Dir = work
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var tail strings.Builder
	cmd.Stderr = &tail
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: make: %w (install build-essential, bc, bison, flex, libelf-dev, libssl-dev: scripts/install-deps.sh)", ErrTool, err)
	}
	compiled := countCompiles(out, 15*time.Second, func(n int) { logf("kernel: building: %d files compiled", n) })
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%w: make bzImage: %w: %s", ErrTool, err, lastLines(tail.String(), 20))
	}
	logf("kernel: minimal kernel built (%d files compiled)", compiled)
	return nil
}

// countCompiles counts kbuild's "CC" lines on r, calling report at most
// once per interval.
func countCompiles(r io.Reader, interval time.Duration, report func(int)) int {
	n, last := 0, time.Now()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "  CC ") {
			n++
		}
		if time.Since(last) >= interval {
			report(n)
			last = time.Now()
		}
	}
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// keepMinimal copies what the bake needs out of the build tree and
// publishes dir, its "done" file holding the kernel release.
func keepMinimal(ctx context.Context, work, dir string) error {
	rel, err := run(ctx, work, "make", "-s", "kernelrelease")
	if err != nil {
		return err
	}
	stage := dir + ".tmp"
	os.RemoveAll(stage)
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return err
	}
	for src, dst := range map[string]string{"arch/x86/boot/bzImage": "bzImage", ".config": "config", "modules.builtin": "modules.builtin"} {
		b, err := os.ReadFile(filepath.Join(work, src))
		if err != nil {
			return fmt.Errorf("minimal kernel: %w", err)
		}
		if err := os.WriteFile(filepath.Join(stage, dst), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(stage, "done"), []byte(strings.TrimSpace(rel)+"\n"), 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(stage, dir)
}

// Missing lists the fragment's settings that config does not have: a
// "=y" or "=value" line that config lacks, or an "=n" option that config
// sets.
func Missing(fragment, config string) []string {
	have := map[string]string{}
	for _, l := range strings.Split(config, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.HasPrefix(k, "CONFIG_") {
			have[k] = v
		}
	}
	var missing []string
	for _, l := range strings.Split(fragment, "\n") {
		l = strings.TrimSpace(l)
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		got, set := have[k]
		if v == "n" && set && got != "n" || v != "n" && got != v {
			missing = append(missing, l)
		}
	}
	return missing
}
