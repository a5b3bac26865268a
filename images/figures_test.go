package images

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// Row is one line of RELIABILITY.md (or BENCHMARKS.md): a test, what it
// shows, the figure it measured, and whether it passed. Tests append rows
// as JSON lines to $UNICAM_FIGURES; toolchain/cmd/figures renders them.
type Row struct {
	ID     string `json:"id"`
	What   string `json:"what"`
	Figure string `json:"figure"`
	Pass   bool   `json:"pass"`
}

// figure logs a test's figure and, when $UNICAM_FIGURES names a file,
// appends it there with the test's verdict once the test has finished.
func figure(t testing.TB, id, what, format string, args ...any) {
	t.Helper()
	record(t, id, what, true, format, args...)
}

// benchFigure is figure for a benchmark: its row passes when the goal
// was met (a missed goal is reported, not a failed benchmark: the
// figure is what was measured).
func benchFigure(b *testing.B, id, what string, met bool, format string, args ...any) {
	b.Helper()
	record(b, id, what, met, format, args...)
}

func record(t testing.TB, id, what string, met bool, format string, args ...any) {
	t.Helper()
	r := Row{ID: id, What: what, Figure: fmt.Sprintf(format, args...)}
	verdict := ""
	if !met {
		verdict = " (goal missed)"
	}
	t.Logf("%s %s: %s%s", id, what, r.Figure, verdict)
	path := os.Getenv("UNICAM_FIGURES")
	if path == "" {
		return
	}
	t.Cleanup(func() {
		r.Pass = met && !t.Failed()
		b, _ := json.Marshal(r)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("figures: %v", err)
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "%s\n", b)
	})
}

// fullSuite reports whether make reliability asked for the long version
// (UNICAM_SUITE=full); make test runs the short one.
func fullSuite() bool { return os.Getenv("UNICAM_SUITE") == "full" }

// vmTest skips a test that boots VMs under -short.
func vmTest(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
}
