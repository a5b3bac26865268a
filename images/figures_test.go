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
func figure(t *testing.T, id, what, format string, args ...any) {
	t.Helper()
	r := Row{ID: id, What: what, Figure: fmt.Sprintf(format, args...)}
	t.Logf("%s %s: %s", id, what, r.Figure)
	path := os.Getenv("UNICAM_FIGURES")
	if path == "" {
		return
	}
	t.Cleanup(func() {
		r.Pass = !t.Failed()
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
