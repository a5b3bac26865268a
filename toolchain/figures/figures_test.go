package figures

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRenderSortsAndMarksFailures(t *testing.T) {
	in := `{"id":"S1","what":"auth","figure":"0 bytes leaked","pass":true}
{"id":"R1","what":"power | loss","figure":"10 losses","pass":false}
`
	rows, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, Doc{Title: "Reliability", Intro: "intro", Machine: []string{"2 cores"}}, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"1 of 2 passed", "| R1 | power \\| loss | 10 losses | **FAIL** |", "- 2 cores"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Index(out, "| R1") > strings.Index(out, "| S1") {
		t.Error("rows not sorted by id")
	}
}

func TestRenderBenchmarkWording(t *testing.T) {
	var b bytes.Buffer
	rows := []Row{{ID: "I1", What: "ingest", Figure: "0.9×", Pass: true}, {ID: "N2", What: "memory", Figure: "64 MiB"}}
	if err := Render(&b, Benchmarks, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 of 2 goals met", "| 0.9× | met |", "| 64 MiB | **missed** |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestReadErrorsNameTheLine(t *testing.T) {
	_, err := Read(strings.NewReader("{\"id\":\"R1\"}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
	if _, err := Read(strings.NewReader("\n")); !errors.Is(err, ErrNoRows) {
		t.Errorf("empty input: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add("{\"id\":\"R1\",\"what\":\"x\",\"figure\":\"y\",\"pass\":true}\n")
	f.Add("{}\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := Read(strings.NewReader(s))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := Render(&b, Benchmarks, rows); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(b.String(), "\n| "); got != len(rows)+1 {
			t.Fatalf("%d table lines for %d rows", got, len(rows))
		}
	})
}
