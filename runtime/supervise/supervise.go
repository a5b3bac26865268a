// Package supervise runs the appliance's one app, restarts it with capped
// backoff when it dies, and stops it with SIGTERM, a deadline, then SIGKILL.
package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Supervisor keeps one command running. Set the exported fields, then call
// Run once; Stop may be called from any goroutine.
type Supervisor struct {
	Path           string
	Args           []string
	Stdout, Stderr io.Writer
	// MinBackoff and MaxBackoff bound the wait before a restart; the wait
	// doubles after each quick exit and resets after a run of StableAfter.
	MinBackoff, MaxBackoff, StableAfter time.Duration
	Logf                                func(format string, args ...any)
	// StatusFile, when set, receives Status as JSON after every exit.
	StatusFile string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool
	stopped  chan struct{}
	once     sync.Once
	status   Status
}

func (s *Supervisor) init() {
	s.once.Do(func() { s.stopped = make(chan struct{}) })
}

// Run starts the command and restarts it until ctx ends or Stop is called.
func (s *Supervisor) Run(ctx context.Context) {
	s.init()
	backoff := s.MinBackoff
	for {
		started := time.Now()
		err := s.runOnce()
		if s.isStopping() {
			return
		}
		if time.Since(started) >= s.StableAfter {
			backoff = s.MinBackoff
		}
		s.recordExit(err)
		s.Logf("supervise: %s exited (%v); restarting in %v", s.Path, err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-s.stopped:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.MaxBackoff)
	}
}

func (s *Supervisor) runOnce() error {
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return errors.New("stopping")
	}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("start: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	s.mu.Unlock()
	err := cmd.Wait()
	close(s.exited)
	return err
}

func (s *Supervisor) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// Stop ends supervision: SIGTERM to the app's process group, then SIGKILL
// if it has not exited within grace. It reports whether the app exited on
// SIGTERM.
func (s *Supervisor) Stop(grace time.Duration) (clean bool) {
	s.init()
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.stopped)
	}
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return true
	}
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-exited:
		return true
	case <-time.After(grace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-exited
		return false
	}
}

// Status is the supervisor's record of the app, for the status page.
type Status struct {
	Restarts int       `json:"restarts"`
	LastExit string    `json:"last_exit,omitempty"`
	LastAt   time.Time `json:"last_exit_at,omitzero"`
}

func (s *Supervisor) recordExit(err error) {
	s.mu.Lock()
	s.status.Restarts++
	s.status.LastExit = fmt.Sprint(err)
	s.status.LastAt = time.Now()
	st := s.status
	s.mu.Unlock()
	if s.StatusFile == "" {
		return
	}
	if b, err := json.Marshal(st); err == nil {
		tmp := s.StatusFile + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, s.StatusFile)
		}
	}
}

// Status returns the restart count and the last exit.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}
