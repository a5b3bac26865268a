package web

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"unicam/app/rotation"
)

type fakeRecs []rotation.Segment

func (f fakeRecs) List() []rotation.Segment { return f }

func (f fakeRecs) Lookup(name string) (rotation.Segment, bool) {
	for _, s := range f {
		if s.Name == name {
			return s, true
		}
	}
	return rotation.Segment{}, false
}

func newServer(t *testing.T) (*httptest.Server, string) {
	dir := t.TempDir()
	files := map[string]string{
		"video2026-03-17-13-24-38.mkv":         "0123456789",
		"video2026-03-17-13-25-38.mkv.partial": "abc",
		"secret.txt":                           "nope",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	at := time.Date(2026, 3, 17, 13, 24, 38, 0, time.UTC)
	recs := fakeRecs{
		{Name: "video2026-03-17-13-25-38.mkv.partial", Start: at.Add(time.Minute), Size: 3, Recording: true},
		{Name: "video2026-03-17-13-24-38.mkv", Start: at, Size: 10},
	}
	s, err := New(recs, root, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, dir
}

func TestIndexListsNewestFirst(t *testing.T) {
	ts, _ := newServer(t)
	body := get(t, ts.URL+"/", 200)
	i, j := strings.Index(body, "13-25-38"), strings.Index(body, "13-24-38")
	if i < 0 || j < 0 || i > j {
		t.Errorf("list not newest first:\n%s", body)
	}
	for _, want := range []string{`href="/recordings/video2026-03-17-13-24-38.mkv"`, "10 B", "recording"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestDownload(t *testing.T) {
	ts, _ := newServer(t)
	req, _ := http.NewRequest("GET", ts.URL+"/recordings/video2026-03-17-13-24-38.mkv", nil)
	req.Header.Set("Range", "bytes=2-4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || string(b) != "234" {
		t.Errorf("range download = %d %q", resp.StatusCode, b)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="video2026-03-17-13-24-38.mkv"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	resp, err = http.Get(ts.URL + "/recordings/video2026-03-17-13-25-38.mkv.partial")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || !strings.Contains(cd, `"video2026-03-17-13-25-38.mkv"`) {
		t.Errorf("partial download = %d %q", resp.StatusCode, cd)
	}
}

func TestOnlyCatalogFilesServed(t *testing.T) {
	ts, _ := newServer(t)
	for _, p := range []string{"/recordings/secret.txt", "/recordings/..%2fsecret.txt", "/recordings/video2020-01-01-00-00-00.mkv", "/nope"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func get(t *testing.T, url string, code int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code {
		t.Fatalf("GET %s = %d, want %d", url, resp.StatusCode, code)
	}
	return string(b)
}
