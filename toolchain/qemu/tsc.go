package qemu

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrNoTSC means the host's time-stamp counter cannot be measured: not an
// x86-64 host, or its TSC does not tick at a constant rate.
var ErrNoTSC = errors.New("no constant-rate TSC on this host")

// HostTSCkHz measures the rate of the host's time-stamp counter against
// its monotonic clock: the median of five 40 ms windows, in kHz. Under
// software emulation a guest's TSC is the host's, so this is what a
// guest without a reference timer must be told (Config.TSCkHz).
func HostTSCkHz() (int, error) {
	if !haveTSC || !constantTSC("/proc/cpuinfo") {
		return 0, ErrNoTSC
	}
	var rates []float64
	for range 5 {
		t0, c0 := time.Now(), rdtsc()
		time.Sleep(40 * time.Millisecond)
		c1, t1 := rdtsc(), time.Now()
		rates = append(rates, float64(c1-c0)/float64(t1.Sub(t0).Microseconds())*1000)
	}
	slices.Sort(rates)
	khz := int(rates[2])
	if khz < 100_000 || khz > 10_000_000 {
		return 0, fmt.Errorf("%w: measured %d kHz", ErrNoTSC, khz)
	}
	return khz, nil
}

// constantTSC reports whether the cpuinfo file's first CPU has the
// constant_tsc flag: a TSC that ticks at one rate whatever the clock
// speed.
func constantTSC(cpuinfo string) bool {
	b, err := os.ReadFile(cpuinfo)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			return slices.Contains(strings.Fields(v), "constant_tsc")
		}
	}
	return false
}
