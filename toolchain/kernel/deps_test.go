package kernel

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const depText = `kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/crypto/crc32c_generic.ko:
`

func TestClosure(t *testing.T) {
	d, err := ParseDeps(strings.NewReader(depText))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Closure([]string{"ext4", "virtio-blk", "serial_8250"}, []string{"kernel/drivers/tty/serial/8250/serial_8250.ko"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko",
		"kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko"}
	if !slices.Equal(got, want) {
		t.Errorf("Closure =\n%q\nwant\n%q", got, want)
	}
	if _, err := d.Closure([]string{"nosuch"}, nil); !errors.Is(err, ErrNoModule) || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("Closure(nosuch) = %v", err)
	}
	sub := d.Subset([]string{"kernel/fs/ext4/ext4.ko"})
	if !strings.HasPrefix(sub, "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko") {
		t.Errorf("Subset = %q", sub)
	}
}

func FuzzParseDeps(f *testing.F) {
	f.Add(depText)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDeps(strings.NewReader(s))
		if err != nil {
			return
		}
		for m := range d {
			if _, err := d.Closure([]string{ModuleName(m)}, nil); err != nil {
				t.Fatalf("module %q from the file not found: %v", m, err)
			}
		}
	})
}
