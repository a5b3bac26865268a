// Package modules loads the kernel modules the image carries, in
// dependency order, with u-root's kmodule.
package modules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/u-root/u-root/pkg/kmodule"
	"golang.org/x/sys/unix"
)

// ListFile names the modules to load, one per line, in the image.
const ListFile = "/etc/unicam/modules"

// ReadList reads module names, skipping blank lines and # comments.
func ReadList(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	return names, sc.Err()
}

// Load probes each named module with its dependencies. opts is the seam
// tests use (RootDir, KVer, DryRunCB). Every module is tried; the error
// names each that failed. A driver whose hardware is absent (ENODEV: the
// Xen frontends under QEMU, say) is not an error; it is returned in absent.
func Load(names []string, opts kmodule.ProbeOpts) (absent []string, err error) {
	if len(names) == 0 {
		return nil, nil
	}
	p, err := kmodule.NewProber(opts)
	if err != nil {
		return nil, fmt.Errorf("read module dependencies: %w", err)
	}
	// kmodule's Prober loads each module once however many goroutines
	// ask for it, so the modules load side by side: a driver's probe of
	// its device is most of the time, and the vCPUs can overlap those.
	results := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { results[i] = p.Probe(n, "") })
	}
	wg.Wait()
	var errs []error
	for i, err := range results {
		switch {
		case errors.Is(err, unix.ENODEV):
			absent = append(absent, names[i])
		case err != nil:
			errs = append(errs, fmt.Errorf("module %s: %w", names[i], err))
		}
	}
	return absent, errors.Join(errs...)
}

// LoadListed loads the modules named in ListFile. An image without the
// file carries no modules, which is not an error.
func LoadListed() (absent []string, err error) {
	f, err := os.Open(ListFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := ReadList(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ListFile, err)
	}
	return Load(names, kmodule.ProbeOpts{})
}
