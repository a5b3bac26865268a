package capture

import (
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential delay with ±25% jitter, so a camera that
// keeps failing is retried ever more slowly, never in a hot loop.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur < b.min {
		b.cur = b.min
	}
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	j := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return d + j
}

func (b *backoff) reset() { b.cur = b.min }
