package rotation

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseBytes reads a size: a whole number with an optional unit (B, K, M,
// G, T; KiB..TiB are powers of 1024, KB..TB of 1000; K, M, G, T mean KiB..TiB).
func ParseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: %w: want a whole number with an optional unit, e.g. 800MiB or 2G", s, ErrBadConfig)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: %w: too large", s, ErrBadConfig)
	}
	return n * mult, nil
}
