package rotation

import (
	"errors"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "800MiB": 800 << 20, "2G": 2 << 30, "5 KB": 5000, "7B": 7} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5G", "lots", "9999999999T"} {
		if _, err := ParseBytes(bad); !errors.Is(err, ErrBadConfig) {
			t.Errorf("ParseBytes(%q) = %v", bad, err)
		}
	}
	if s, err := ParseSpace("10%"); err != nil || s.Percent != 10 || s.of(1000) != 100 {
		t.Errorf("ParseSpace(10%%) = %+v %v", s, err)
	}
	if s, err := ParseSpace("2GiB"); err != nil || s.Bytes != 2<<30 {
		t.Errorf("ParseSpace(2GiB) = %+v %v", s, err)
	}
}

func FuzzParseBytes(f *testing.F) {
	f.Add("800MiB")
	f.Add("2G")
	f.Add("10%")
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseBytes(s); err == nil && n < 0 {
			t.Fatalf("ParseBytes(%q) = %d", s, n)
		}
		if sp, err := ParseSpace(s); err == nil && (sp.Bytes < 0 || sp.Percent < 0 || sp.Percent >= 100) {
			t.Fatalf("ParseSpace(%q) = %+v", s, sp)
		}
	})
}
