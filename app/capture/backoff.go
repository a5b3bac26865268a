package capture

import (
	"context"
	"log"
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential delay with ±25% jitter, so a camera that
// keeps failing is retried ever more slowly, never in a hot loop. The
// jitter never takes a delay past max.
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
	return min(d+j, b.max)
}

func (b *backoff) reset() { b.cur = b.min }

// retry runs session until ctx ends: after every failure it records the
// error, waits with bo's backoff (reset once a session delivered frames)
// and runs it again. It is the reconnect loop every real camera shares.
func retry(ctx context.Context, name string, st *tracker, bo backoff, logger *log.Logger, again string,
	session func(context.Context) (int, error)) {
	defer st.state(name, StateStopped)
	for {
		st.state(name, StateConnecting)
		n, err := session(ctx)
		if ctx.Err() != nil {
			return
		}
		if n > 0 {
			bo.reset()
		}
		st.fail(err, time.Now())
		st.state(name, StateBackoff)
		wait := bo.next()
		logger.Printf("capture: %s: %v; %s in %v", name, err, again, wait.Round(100*time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
