package spec

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ in, key string }{
		{"name: qemu\nbogus: 1\n", "bogus"},
		{"name: Q\n", "name"},
		{"name: q\nmemory_mib: 8\n", "memory_mib"},
		{"name: q\nmodules: [\"virtio blk\"]\n", "modules"},
		{"name: q\ndisk_size: 1GB\n", "disk_size"},
		{"name: q\nconfig: {Bad: 1}\n", "config"},
		{"name: q\nsystem_disk: true\n", "system_disk"},
		{"name: q\nkernel: minimal\nsystem_disk: true\ntargets: [qemu, iso]\n", "system_disk"},
	} {
		_, err := Parse("t.yaml", strings.NewReader(tc.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "t.yaml") {
			t.Errorf("Parse(%q) = %v, want ErrInvalid naming t.yaml and %s", tc.in, err, tc.key)
		}
	}
}

func TestShippedDefinitionsParse(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(self), "../../images/*.yaml"))
	if len(files) == 0 {
		t.Fatal("no images/*.yaml found")
	}
	for _, f := range files {
		img, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !strings.Contains(img.DefaultsFile(), "\n") {
			t.Errorf("%s: empty defaults", f)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("name: qemu\nmodules: [ext4]\nconfig: {segment: 1m}\n")
	f.Fuzz(func(t *testing.T, s string) {
		img, err := Parse("f.yaml", strings.NewReader(s))
		if err == nil {
			if err := img.Validate(); err != nil {
				t.Fatalf("parsed image fails validation: %v", err)
			}
		}
	})
}
