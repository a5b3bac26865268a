package guard

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

type fakeDog struct{ pets, closes atomic.Int32 }

func (d *fakeDog) KeepAlive() error  { d.pets.Add(1); return nil }
func (d *fakeDog) MagicClose() error { d.closes.Add(1); return nil }

func TestPetsOnlyWhileHeartbeatIsFresh(t *testing.T) {
	hb := filepath.Join(t.TempDir(), "heartbeat")
	os.WriteFile(hb, nil, 0o644)
	dog := &fakeDog{}
	g := &Guard{Dev: dog, Heartbeat: hb, MaxAge: 300 * time.Millisecond, Interval: 20 * time.Millisecond, Logf: t.Logf}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	time.Sleep(200 * time.Millisecond)
	fresh := dog.pets.Load()
	if fresh < 5 {
		t.Fatalf("%d pets while the heartbeat was fresh", fresh)
	}
	time.Sleep(500 * time.Millisecond) // the heartbeat goes stale
	before := dog.pets.Load()
	time.Sleep(200 * time.Millisecond)
	if after := dog.pets.Load(); after != before {
		t.Errorf("still petting a stale heartbeat: %d → %d", before, after)
	}
	os.Chtimes(hb, time.Now(), time.Now())
	time.Sleep(100 * time.Millisecond)
	if dog.pets.Load() == before {
		t.Error("no petting after the heartbeat came back")
	}
	g.Stop()
	g.Stop()
	cancel()
	<-done
	if dog.closes.Load() != 1 {
		t.Errorf("%d magic closes, want 1", dog.closes.Load())
	}
}

func TestGraceEndsWithTheFirstHeartbeat(t *testing.T) {
	hb := filepath.Join(t.TempDir(), "heartbeat")
	dog := &fakeDog{}
	g := &Guard{Dev: dog, Heartbeat: hb, MaxAge: 200 * time.Millisecond, Interval: 20 * time.Millisecond, Grace: time.Hour, Logf: t.Logf}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	time.Sleep(100 * time.Millisecond)
	if dog.pets.Load() < 2 {
		t.Fatalf("%d pets during the grace before any heartbeat", dog.pets.Load())
	}
	os.WriteFile(hb, nil, 0o644)
	time.Sleep(500 * time.Millisecond) // one heartbeat, then it goes stale
	before := dog.pets.Load()
	time.Sleep(200 * time.Millisecond)
	if after := dog.pets.Load(); after != before {
		t.Errorf("grace still petting after the app's heartbeat went stale: %d → %d", before, after)
	}
}
