package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestHostTSCkHz(t *testing.T) {
	khz, err := HostTSCkHz()
	if errors.Is(err, ErrNoTSC) && !constantTSC("/proc/cpuinfo") {
		t.Skipf("host without a constant TSC: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	again, err := HostTSCkHz()
	if err != nil {
		t.Fatal(err)
	}
	// Two measurements of one fixed rate agree to a tenth of a percent.
	if d := khz - again; d*1000 > khz || -d*1000 > khz {
		t.Errorf("TSC measured at %d then %d kHz", khz, again)
	}
	t.Logf("host TSC: %d kHz", khz)
}

func TestConstantTSC(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]bool{
		"processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n": true,
		"processor\t: 0\nflags\t\t: fpu tsc\n":                          false,
		"processor\t: 0\n":                                              false,
	} {
		p := filepath.Join(dir, "cpuinfo")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := constantTSC(p); got != want {
			t.Errorf("constantTSC(%q) = %v, want %v", body, got, want)
		}
	}
	if constantTSC(filepath.Join(dir, "missing")) {
		t.Error("constantTSC of a missing file = true")
	}
}
