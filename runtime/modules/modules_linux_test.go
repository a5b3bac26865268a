package modules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/u-root/u-root/pkg/kmodule"
)

func TestLoadOrdersDependencies(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "lib/modules/6.1.0-test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dep := "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko\n" +
		"kernel/lib/crc16.ko:\nkernel/fs/jbd2/jbd2.ko:\nkernel/drivers/block/virtio_blk.ko:\n"
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		loaded []string
	)
	// kmodule loads independent dependencies in parallel.
	opts := kmodule.ProbeOpts{RootDir: root, KVer: "6.1.0-test", IgnoreProcMods: true,
		DryRunCB: func(p string) { mu.Lock(); loaded = append(loaded, filepath.Base(p)); mu.Unlock() }}
	if _, err := Load([]string{"ext4", "virtio_blk"}, opts); err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(loaded, "ext4.ko"); i < 2 || !slices.Contains(loaded[:i], "crc16.ko") || !slices.Contains(loaded[:i], "jbd2.ko") {
		t.Errorf("load order %v: ext4 must come after crc16 and jbd2", loaded)
	}
	_, err := Load([]string{"nosuchmod"}, opts)
	if err == nil || !strings.Contains(err.Error(), "module nosuchmod") {
		t.Errorf("Load(nosuchmod) = %v, want an error naming the module", err)
	}
}

func TestReadList(t *testing.T) {
	got, err := ReadList(strings.NewReader("# storage\nvirtio_blk\n\next4\n"))
	if err != nil || !slices.Equal(got, []string{"virtio_blk", "ext4"}) {
		t.Errorf("ReadList = %v, %v", got, err)
	}
}
