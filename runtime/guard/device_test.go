package guard

import (
	"os"
	"path/filepath"
	"testing"
)

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		class     map[string]string // watchdogN → identity
		path, nam string
	}{
		{"microvm: only the legacy ib700", nil, "/dev/watchdog", "legacy driver"},
		{"q35 with ib700 built in: i6300esb moved to watchdog1", map[string]string{"watchdog1": "i6300ESB timer"}, "/dev/watchdog1", "i6300ESB timer"},
		{"Debian's kernel: i6300esb alone", map[string]string{"watchdog0": "i6300ESB timer"}, "/dev/watchdog0", "i6300ESB timer"},
		{"two core drivers: the lowest", map[string]string{"watchdog3": "b", "watchdog2": "a", "watchdogX": "x"}, "/dev/watchdog2", "a"},
		{"no identity file", map[string]string{"watchdog0": ""}, "/dev/watchdog0", "watchdog0"},
	} {
		dir := t.TempDir()
		for dev, id := range tc.class {
			if err := os.MkdirAll(filepath.Join(dir, dev), 0o755); err != nil {
				t.Fatal(err)
			}
			if id != "" {
				if err := os.WriteFile(filepath.Join(dir, dev, "identity"), []byte(id+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		path, name := Choose(dir, "/dev", "/dev/watchdog")
		if path != tc.path || name != tc.nam {
			t.Errorf("%s: Choose = %s (%s), want %s (%s)", tc.desc, path, name, tc.path, tc.nam)
		}
	}
}
