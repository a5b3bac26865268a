package web

import "testing"

func TestParseMeminfo(t *testing.T) {
	total, avail, ok := parseMeminfo("MemTotal:          18752 kB\nMemFree:            3452 kB\nMemAvailable:       9000 kB\n")
	if !ok || total != 18752<<10 || avail != 9000<<10 {
		t.Fatalf("parseMeminfo = %d, %d, %v", total, avail, ok)
	}
	for _, bad := range []string{"", "MemTotal: 1 kB\n", "MemTotal: x kB\nMemAvailable: 1 kB\n"} {
		if _, _, ok := parseMeminfo(bad); ok {
			t.Errorf("parseMeminfo(%q): ok", bad)
		}
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add("MemTotal: 2 kB\nMemAvailable: 1 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		total, avail, ok := parseMeminfo(s)
		if ok && (total%1024 != 0 || avail%1024 != 0) {
			t.Fatalf("sizes %d, %d are not whole kB", total, avail)
		}
	})
}
