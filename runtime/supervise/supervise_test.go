package supervise

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) Logf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, f)
}

func (l *logBuf) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func TestRestartsWithBackoff(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "runs")
	var lb logBuf
	status := filepath.Join(dir, "supervisor.json")
	s := &Supervisor{
		Path: "/bin/sh", Args: []string{"-c", "echo x >> " + marker + "; exit 3"},
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, StableAfter: time.Hour,
		Logf: lb.Logf, StatusFile: status,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); lb.count() < 4 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	b, _ := os.ReadFile(marker)
	if runs := strings.Count(string(b), "x"); runs < 4 {
		t.Errorf("app ran %d times, want at least 4 restarts", runs)
	}
	st := s.Status()
	js, _ := os.ReadFile(status)
	if st.Restarts < 4 || st.LastExit != "exit status 3" || !strings.Contains(string(js), `"last_exit":"exit status 3"`) {
		t.Errorf("status %+v, file %s", st, js)
	}
}

func TestStopTermThenKill(t *testing.T) {
	for _, tc := range []struct {
		script string
		clean  bool
	}{
		{"trap 'exit 0' TERM; while :; do sleep 0.01; done", true},
		{"trap '' TERM; while :; do sleep 0.01; done", false},
	} {
		var lb logBuf
		s := &Supervisor{Path: "/bin/sh", Args: []string{"-c", tc.script}, MinBackoff: time.Second, MaxBackoff: time.Second, Logf: lb.Logf}
		done := make(chan struct{})
		go func() { s.Run(context.Background()); close(done) }()
		time.Sleep(200 * time.Millisecond)
		if clean := s.Stop(300 * time.Millisecond); clean != tc.clean {
			t.Errorf("%q: Stop clean = %v, want %v", tc.script, clean, tc.clean)
		}
		<-done
		if lb.count() != 0 {
			t.Errorf("%q: restarted after Stop: %v", tc.script, lb.lines)
		}
	}
}

func TestRingKeepsTheTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.log")
	r := &Ring{Path: p, Size: 10}
	r.Write([]byte("0123456789"))
	r.Write([]byte("abc"))
	if got := string(r.Bytes()); got != "3456789abc" {
		t.Errorf("ring = %q", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if b, _ := os.ReadFile(p); string(b) != "3456789abc" {
		t.Errorf("saved %q", b)
	}
}
