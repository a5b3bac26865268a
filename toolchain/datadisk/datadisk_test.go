package datadisk

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.img")
	if err := Create(context.Background(), p, "16M"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/sbin/e2fsck", "-fn", p).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
	out, err = exec.Command("/usr/sbin/e2label", p).Output()
	if err != nil || string(out) != Label+"\n" {
		t.Errorf("e2label = %q, %v", out, err)
	}
	if err := Create(context.Background(), p, "16M"); !errors.Is(err, ErrExists) {
		t.Errorf("second Create = %v, want ErrExists", err)
	}
}

func TestCreateSeedsConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data.img")
	if err := Create(context.Background(), p, "16M", "segment=1h\nfps=2\n"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/sbin/debugfs", "-R", "cat /unicam.conf", p).Output()
	if err != nil || string(out) != "segment=1h\nfps=2\n" {
		t.Errorf("unicam.conf on the disk = %q, %v", out, err)
	}
}
