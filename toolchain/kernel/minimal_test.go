package kernel

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMissing(t *testing.T) {
	frag := "# comment\nCONFIG_EXT4_FS=y\nCONFIG_NR_CPUS=8\nCONFIG_MODULES=n\nCONFIG_VIDEO_VIVID=y\n"
	cfg := "CONFIG_EXT4_FS=y\nCONFIG_NR_CPUS=64\n# CONFIG_MODULES is not set\n# CONFIG_VIDEO_VIVID is not set\n"
	if got, want := Missing(frag, cfg), []string{"CONFIG_NR_CPUS=8", "CONFIG_VIDEO_VIVID=y"}; !slices.Equal(got, want) {
		t.Errorf("Missing = %q, want %q", got, want)
	}
	if got := Missing(frag, cfg+"CONFIG_MODULES=y\n"); !slices.Contains(got, "CONFIG_MODULES=n") {
		t.Errorf("Missing = %q, want CONFIG_MODULES=n reported when modules are on", got)
	}
}

// TestFragmentWellFormed keeps the shipped fragment parseable: every
// setting line is CONFIG_NAME=value.
func TestFragmentWellFormed(t *testing.T) {
	n := 0
	for _, l := range strings.Split(Fragment, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || !strings.HasPrefix(k, "CONFIG_") || v == "" {
			t.Errorf("fragment line %q is not CONFIG_NAME=value", l)
		}
		n++
	}
	if n < 50 {
		t.Errorf("fragment has %d settings, want the whole list", n)
	}
}

func TestCountCompiles(t *testing.T) {
	out := "  CC      init/main.o\n  LD      vmlinux\n  CC      kernel/fork.o\nCC not-kbuild\n"
	var reports []int
	n := countCompiles(strings.NewReader(out), 0, func(n int) { reports = append(reports, n) })
	if n != 2 || len(reports) != 4 || reports[3] != 2 {
		t.Errorf("countCompiles = %d, reports %v; want 2 and a report per line", n, reports)
	}
	if n := countCompiles(strings.NewReader(out), time.Hour, func(int) { t.Error("reported before the interval") }); n != 2 {
		t.Errorf("countCompiles = %d", n)
	}
}

func FuzzMissing(f *testing.F) {
	f.Add(Fragment, "CONFIG_EXT4_FS=y\n")
	f.Add("CONFIG_A=n\n=\n#x=y", "CONFIG_A=y\n")
	f.Fuzz(func(t *testing.T, frag, cfg string) {
		for _, m := range Missing(frag, cfg) {
			if !strings.Contains(frag, m) {
				t.Fatalf("Missing reported %q, not a fragment line", m)
			}
		}
	})
}
