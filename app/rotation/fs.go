package rotation

import (
	"os"
)

// FS is the filesystem seam of the recorder: where segment files are
// created and opened, and how much space is free. Tests inject ENOSPC and
// EIO through it.
type FS interface {
	// Create makes a new file that must not exist yet.
	Create(name string) (File, error)
	// Open opens an existing file for reading and writing (repair).
	Open(name string) (File, error)
	// Free reports the bytes available to us and the filesystem's size.
	Free() (avail, total uint64, err error)
}

// dirFS is the real FS: files confined to the data directory by os.Root.
type dirFS struct {
	root *os.Root
	dir  string
}

func (d dirFS) Create(name string) (File, error) {
	return d.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

func (d dirFS) Open(name string) (File, error) {
	return d.root.OpenFile(name, os.O_RDWR, 0)
}

func (d dirFS) Free() (uint64, uint64, error) { return statfs(d.dir) }
