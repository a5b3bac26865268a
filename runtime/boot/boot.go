// Package boot runs the init's boot steps in order, timing and logging
// each one on the console.
package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	Run      func(ctx context.Context) error
}

// Result is what one step did, for the console and the status page.
type Result struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Err      string        `json:"error,omitempty"`
}

// Run executes steps in order, printing one line per step to console. It
// returns the results so far and, when a required step failed, an error
// wrapping ErrRequired.
func Run(ctx context.Context, steps []Step, console io.Writer, now func() time.Time) ([]Result, error) {
	var results []Result
	for _, s := range steps {
		start := now()
		err := s.Run(ctx)
		r := Result{Name: s.Name, Duration: now().Sub(start)}
		ms := float64(r.Duration.Microseconds()) / 1000
		switch {
		case err == nil:
			fmt.Fprintf(console, "unicam: %-10s ok      %8.1f ms\n", s.Name, ms)
		case s.Required:
			r.Err = err.Error()
			fmt.Fprintf(console, "unicam: %-10s FAILED  %8.1f ms: %v\n", s.Name, ms, err)
			return append(results, r), fmt.Errorf("%w: %s: %w", ErrRequired, s.Name, err)
		default:
			r.Err = err.Error()
			fmt.Fprintf(console, "unicam: %-10s skipped %8.1f ms: %v\n", s.Name, ms, err)
		}
		results = append(results, r)
	}
	return results, nil
}
