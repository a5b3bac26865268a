package bake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"unicam/toolchain/kernel"
)

// ManifestName is the manifest's file name in an image's output folder.
const ManifestName = "manifest.json"

// Manifest describes one baked image: what is in it and how to boot it.
type Manifest struct {
	Image     string            `json:"image"`
	Kernel    kernel.Kernel     `json:"kernel"`
	Cmdline   string            `json:"cmdline"`
	MemoryMiB int               `json:"memory_mib"`
	CPUs      int               `json:"cpus"`
	DiskSize  string            `json:"disk_size"`
	Modules   []string          `json:"modules"`
	Config    map[string]string `json:"config"`
	Targets   []string          `json:"targets"`
	// SystemDisk names the read-only system disk holding the app, for an
	// image that keeps it out of the initramfs ("" for none).
	SystemDisk string `json:"system_disk,omitempty"`
	Files      []File `json:"files"`
}

// SystemPath is the system disk's path for an image in dir, or "".
func (m *Manifest) SystemPath(dir string) string {
	if m.SystemDisk == "" {
		return ""
	}
	return filepath.Join(dir, m.SystemDisk)
}

// File is one artifact with its checksum.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Artifact file names inside an image's output folder.
const (
	KernelFile    = "vmlinuz"
	InitramfsFile = "initramfs.cpio.gz"
)

// ReadManifest loads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("read manifest (run make image first): %w", err)
	}
	m := &Manifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, ManifestName), err)
	}
	return m, nil
}

func (m *Manifest) addFile(dir, name string) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	m.Files = append(m.Files, File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

func (m *Manifest) write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644)
}
