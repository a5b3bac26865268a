package web

import (
	"strings"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	got := parseMeminfo("MemTotal:          18752 kB\nActive(anon):       3452 kB\nHugePages_Total:       0\nbad line\nX: 1 MB\nY: -1 kB\n")
	want := []MeminfoField{
		{"MemTotal", "node_memory_MemTotal_bytes", 18752 << 10},
		{"Active_anon", "node_memory_Active_anon_bytes", 3452 << 10},
		{"HugePages_Total", "node_memory_HugePages_Total", 0},
	}
	if len(got) != len(want) {
		t.Fatalf("parseMeminfo = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add("MemTotal: 2 kB\nMemAvailable: 1 kB\nActive(file): 3 kB\nHugePages_Free: 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range parseMeminfo(s) {
			if !validMetricKey(m.Key) || !strings.HasPrefix(m.Metric, "node_memory_"+m.Key) {
				t.Fatalf("field %+v: not a valid metric name", m)
			}
			if strings.HasSuffix(m.Metric, "_bytes") && int64(m.Value)%1024 != 0 {
				t.Fatalf("field %+v: size not whole kB", m)
			}
		}
	})
}
