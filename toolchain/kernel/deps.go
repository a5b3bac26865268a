// Package kernel gets the kernel an image boots (Debian's packaged kernel,
// cached) and works out which module files the image must carry.
package kernel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// ErrNoModule means a requested module is neither a module nor built in.
var ErrNoModule = errors.New("kernel has no such module")

// Deps is a parsed modules.dep: module path → paths it needs, relative to
// the kernel's module directory.
type Deps map[string][]string

// ParseDeps reads modules.dep as depmod writes it.
func ParseDeps(r io.Reader) (Deps, error) {
	d := Deps{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		mod, deps, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(mod) == "" {
			return nil, fmt.Errorf("modules.dep line %d %q: want path: deps", n, line)
		}
		d[strings.TrimSpace(mod)] = strings.Fields(deps)
	}
	return d, sc.Err()
}

// ModuleName is the name of a module file: ext4 for kernel/fs/ext4/ext4.ko.xz,
// with dashes as underscores, as the kernel names modules.
func ModuleName(p string) string {
	b := path.Base(p)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// Closure returns the module files names need, dependencies included,
// sorted. Names listed in builtin are satisfied without a file.
func (d Deps) Closure(names []string, builtin []string) ([]string, error) {
	byName := map[string]string{}
	for p := range d {
		byName[ModuleName(p)] = p
	}
	for i, b := range builtin {
		builtin[i] = ModuleName(b)
	}
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, dep := range d[p] {
			visit(dep)
		}
	}
	for _, n := range names {
		n = strings.ReplaceAll(n, "-", "_")
		if p, ok := byName[n]; ok {
			visit(p)
			continue
		}
		if !slices.Contains(builtin, n) {
			return nil, fmt.Errorf("module %s: %w (check its name in the kernel's modules.dep, or drop it from modules:)", n, ErrNoModule)
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// Subset renders modules.dep for just the given module files.
func (d Deps) Subset(files []string) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s:", f)
		for _, dep := range d[f] {
			fmt.Fprintf(&b, " %s", dep)
		}
		b.WriteString("\n")
	}
	return b.String()
}
