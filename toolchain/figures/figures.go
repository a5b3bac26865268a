// Package figures renders the rows tests record (JSON lines: a test's id,
// what it shows, its figure and its verdict) as the Markdown tables of
// RELIABILITY.md and BENCHMARKS.md, with the machine they ran on.
package figures

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Row is one test's result.
type Row struct {
	ID     string `json:"id"`
	What   string `json:"what"`
	Figure string `json:"figure"`
	Pass   bool   `json:"pass"`
}

// ErrNoRows means the input held no results: the suite did not run.
var ErrNoRows = errors.New("no results recorded")

// Read parses JSON lines of rows. A line that is not a row is an error
// naming its number.
func Read(r io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var row Row
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if row.ID == "" {
			return nil, fmt.Errorf("line %d: a row without an id", n)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	return rows, nil
}

// Doc is what surrounds the table.
type Doc struct {
	Title, Intro string
	// Machine lines describe where the figures were measured.
	Machine []string
	// Pass and Fail mark a row's verdict ("pass" and "**FAIL**" when
	// empty); Passed counts them in the summary ("passed").
	Pass, Fail, Passed string
}

// Reliability is the wording of RELIABILITY.md; Benchmarks that of
// BENCHMARKS.md, whose rows pass when their goal was met.
var (
	Reliability = Doc{Pass: "pass", Fail: "**FAIL**", Passed: "passed"}
	Benchmarks  = Doc{Pass: "met", Fail: "**missed**", Passed: "goals met"}
)

// Render writes the document: title, intro, the machine, and one table
// row per result, sorted by id (a stable sort keeps a test's rows in the
// order it recorded them).
func Render(w io.Writer, d Doc, rows []Row) error {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })
	pass, fail, passed := cmp.Or(d.Pass, "pass"), cmp.Or(d.Fail, "**FAIL**"), cmp.Or(d.Passed, "passed")
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\n", d.Title, d.Intro)
	for _, m := range d.Machine {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	n := 0
	for _, r := range rows {
		if r.Pass {
			n++
		}
	}
	fmt.Fprintf(&b, "\n%d of %d %s.\n\n| id | test | figure | result |\n|---|---|---|---|\n", n, len(rows), passed)
	for _, r := range rows {
		verdict := pass
		if !r.Pass {
			verdict = fail
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.ID), cell(r.What), cell(r.Figure), verdict)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a value inside its table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
