// Package guard pets the hardware watchdog only while the app shows
// progress: its heartbeat file, touched by the recorder's loop, must be
// fresh. A frozen or wedged app stops the petting and the hardware resets
// the machine; a clean shutdown disarms the watchdog with the magic close.
package guard

import (
	"context"
	"os"
	"sync"
	"time"
)

// Device is what Guard uses of a watchdog (u-root's *watchdog.Watchdog).
type Device interface {
	KeepAlive() error
	MagicClose() error
}

// Guard keeps Dev alive while Heartbeat is younger than MaxAge.
type Guard struct {
	Dev       Device
	Heartbeat string
	MaxAge    time.Duration
	Interval  time.Duration
	// Grace lets the app start: until its first heartbeat, or Grace has
	// passed, the watchdog is petted anyway. After the first heartbeat the
	// grace is over, so a freeze early in the app's life is caught as
	// quickly as a late one.
	Grace time.Duration
	Logf  func(string, ...any)

	mu      sync.Mutex
	stopped bool
	beating bool
	now     func() time.Time
}

// Run pets the watchdog every Interval while the heartbeat is fresh,
// until ctx ends or Stop.
func (g *Guard) Run(ctx context.Context) {
	if g.now == nil {
		g.now = time.Now
	}
	start := g.now()
	tick := time.NewTicker(g.Interval)
	defer tick.Stop()
	stale := false
	for {
		g.mu.Lock()
		if g.stopped {
			g.mu.Unlock()
			return
		}
		if g.fresh(start) {
			g.Dev.KeepAlive()
			stale = false
		} else if !stale {
			stale = true
			g.Logf("watchdog: the app's heartbeat is older than %v; no longer petting the watchdog", g.MaxAge)
		}
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (g *Guard) fresh(start time.Time) bool {
	now := g.now()
	fi, err := os.Stat(g.Heartbeat)
	if err == nil && fi.ModTime().After(start) {
		g.beating = true
	}
	if !g.beating && now.Sub(start) < g.Grace {
		return true
	}
	return err == nil && now.Sub(fi.ModTime()) < g.MaxAge
}

// Stop disarms the watchdog with the magic close; call it on the clean
// power path only.
func (g *Guard) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.stopped = true
		if err := g.Dev.MagicClose(); err != nil {
			g.Logf("watchdog: magic close: %v", err)
		}
	}
}
