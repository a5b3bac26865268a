// Package boot runs the init's boot steps in order, timing and logging
// each one on the console.
package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrRequired marks the failure of a step the appliance cannot run without.
var ErrRequired = errors.New("required boot step failed")

// Step is one named boot step.
type Step struct {
	Name string
	// Required steps stop the boot when they fail; optional ones are
	// logged and the boot goes on.
	Required bool
	// Background steps start in order but the boot goes on without
	// waiting for them (the network, which the app does not need in order
	// to start). They are optional; Run waits for them before returning.
	Background bool
	Run        func(ctx context.Context) error
}

// Result is what one step did, for the console and the status page.
type Result struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Err      string        `json:"error,omitempty"`
	// Background marks a step that ran beside the others.
	Background bool `json:"background,omitempty"`
}

// Run executes steps in order, printing one line per step to console. It
// returns the results in the table's order and, when a required step
// failed, an error wrapping ErrRequired.
func Run(ctx context.Context, steps []Step, console io.Writer, now func() time.Time) ([]Result, error) {
	results := make([]Result, len(steps))
	var wg sync.WaitGroup
	defer wg.Wait()
	for i, s := range steps {
		if s.Background {
			wg.Go(func() { results[i], _ = runStep(ctx, s, console, now) })
			continue
		}
		r, err := runStep(ctx, s, console, now)
		results[i] = r
		if err != nil {
			wg.Wait()
			return results[:i+1], err
		}
	}
	wg.Wait()
	return results, nil
}

// runStep runs one step and prints its line; the error is non-nil only
// for a required step that failed.
func runStep(ctx context.Context, s Step, console io.Writer, now func() time.Time) (Result, error) {
	start := now()
	err := s.Run(ctx)
	r := Result{Name: s.Name, Duration: now().Sub(start), Background: s.Background}
	ms := float64(r.Duration.Microseconds()) / 1000
	switch {
	case err == nil:
		fmt.Fprintf(console, "unicam: %-10s ok      %8.1f ms\n", s.Name, ms)
	case s.Required && !s.Background:
		r.Err = err.Error()
		fmt.Fprintf(console, "unicam: %-10s FAILED  %8.1f ms: %v\n", s.Name, ms, err)
		return r, fmt.Errorf("%w: %s: %w", ErrRequired, s.Name, err)
	default:
		r.Err = err.Error()
		fmt.Fprintf(console, "unicam: %-10s skipped %8.1f ms: %v\n", s.Name, ms, err)
	}
	return r, nil
}
