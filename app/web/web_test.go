package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"unicam/app/capture"
	"unicam/app/rotation"
)

const testPassword = "correct horse battery"

var t0 = time.Date(2026, 3, 17, 13, 24, 38, 0, time.UTC)

func testJPEG(t testing.TB, seed int) []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i*seed + seed)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

type fixture struct {
	srv  *httptest.Server
	rec  *rotation.Recorder
	hub  *capture.Hub
	dir  string
	name string // a finished 20 s recording
}

// newFixture records two real segments with the rotation package and
// serves them.
func newFixture(t *testing.T, maxViewers int) *fixture {
	dir := t.TempDir()
	rec, err := rotation.New(rotation.Config{Dir: dir, Segment: 20 * time.Second, MaxBytes: 1 << 30, Location: time.UTC, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	frames := make(chan *capture.Frame, 300)
	for i := 0; i < 250; i++ {
		frames <- &capture.Frame{JPEG: testJPEG(t, i%7+1), Time: t0.Add(time.Duration(i) * 100 * time.Millisecond), Width: 64, Height: 48}
	}
	close(frames)
	if err := rec.Run(context.Background(), frames); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	creds, _, err := LoadCredentials("admin", "", string(hash), dir)
	if err != nil {
		t.Fatal(err)
	}
	hub := capture.NewHub()
	s, err := New(Options{Recordings: rec.Catalog(), Files: rec.Root(), Deleter: rec, Live: hub, Credentials: creds, MaxViewers: maxViewers,
		Status: func() Status {
			return Status{Version: "test", Started: t0, Recording: RecordingStatus{Segments: rec.Catalog().Len(), Bytes: rec.Catalog().TotalBytes()}}
		}, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: httptest.NewServer(s.Handler()), rec: rec, hub: hub, dir: dir, name: "video2026-03-17-13-24-38.mkv"}
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request with Basic credentials (or none when user is "").
func (f *fixture) do(t *testing.T, method, path, user, pass string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var privateRoutes = []string{"/", "/recordings/video2026-03-17-13-24-38.mkv", "/recordings/video2026-03-17-13-24-38.mkv/frame.jpg",
	"/recordings/video2026-03-17-13-24-38.mkv/play.mjpg", "/play/video2026-03-17-13-24-38.mkv", "/live", "/stream.mjpg",
	"/snapshot.jpg", "/status", "/api/status", "/api/recordings", "/api/recordings/video2026-03-17-13-24-38.mkv", "/metrics"}

func TestEveryRouteNeedsAuthentication(t *testing.T) {
	f := newFixture(t, 10)
	for _, p := range privateRoutes {
		resp, _ := f.do(t, "GET", p, "", "", nil)
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("GET %s without credentials = %d, want 401 with a Basic challenge", p, resp.StatusCode)
		}
		resp, _ = f.do(t, "GET", p, "admin", "wrong", nil)
		if resp.StatusCode != 401 {
			t.Errorf("GET %s with a wrong password = %d", p, resp.StatusCode)
		}
	}
	resp, _ := f.do(t, "GET", "/", "", "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
		t.Errorf("browser without a session: %d → %s, want 303 → /login", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginSessionCookie(t *testing.T) {
	f := newFixture(t, 10)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.PostForm(f.srv.URL+"/login", url.Values{"user": {"admin"}, "password": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "Wrong user name or password.") {
		t.Errorf("bad login = %d", resp.StatusCode)
	}
	resp, err = c.PostForm(f.srv.URL+"/login", url.Values{"user": {"admin"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), f.name) {
		t.Fatalf("after login: %d, list lacks %s", resp.StatusCode, f.name)
	}
	u, _ := url.Parse(f.srv.URL)
	cookies := jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != sessionCookie {
		t.Fatalf("cookies %v", cookies)
	}
	raw := resp.Request.Response.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
}

func TestStoredHashIsNotAPassword(t *testing.T) {
	f := newFixture(t, 10)
	resp, _ := f.do(t, "GET", "/api/status", "admin", string(f.srvCredsHash(t)), nil)
	if resp.StatusCode != 401 {
		t.Errorf("the bcrypt hash accepted as the password: %d", resp.StatusCode)
	}
}

func (f *fixture) srvCredsHash(t *testing.T) []byte {
	// The fixture's hash is the one LoadCredentials was given; rebuild it
	// the same way to present it as a password.
	h, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	return h
}

func TestLoginRateLimited(t *testing.T) {
	f := newFixture(t, 10)
	for i := 0; i < maxFails; i++ {
		f.do(t, "GET", "/api/status", "admin", "guess", nil)
	}
	resp, err := http.PostForm(f.srv.URL+"/login", url.Values{"user": {"admin"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("login after %d failures = %d, want 429", maxFails, resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, 10)
	for _, p := range append(privateRoutes[:3], "/login", "/nope") {
		resp, _ := f.do(t, "GET", p, "admin", testPassword, map[string]string{"Range": "bytes=0-100"})
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: headers %v", p, h)
		}
	}
	for _, p := range []string{"/recordings/" + "video2026-03-17-13-24-38.mkv", "/recordings/video2026-03-17-13-24-38.mkv/frame.jpg"} {
		resp, _ := f.do(t, "GET", p, "admin", testPassword, nil)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", p, resp.Header.Get("Cache-Control"))
		}
	}
}

func TestDownloadRangesAndErrors(t *testing.T) {
	f := newFixture(t, 10)
	full, _ := os.ReadFile(filepath.Join(f.dir, f.name))
	resp, b := f.do(t, "GET", "/recordings/"+f.name, "admin", testPassword, map[string]string{"Range": "bytes=100-199"})
	if resp.StatusCode != 206 || !bytes.Equal(b, full[100:200]) || resp.Header.Get("ETag") == "" {
		t.Errorf("range: %d, %d bytes, ETag %q", resp.StatusCode, len(b), resp.Header.Get("ETag"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+f.name+`"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	resp, _ = f.do(t, "GET", "/recordings/"+f.name, "admin", testPassword, map[string]string{"Range": "bytes=99999999-"})
	if resp.StatusCode != 416 {
		t.Errorf("bad range = %d, want 416", resp.StatusCode)
	}
	tiny := strings.TrimSuffix(strings.Repeat("0-0,", 2000), ",")
	resp, b = f.do(t, "GET", "/recordings/"+f.name, "admin", testPassword, map[string]string{"Range": "bytes=" + tiny})
	if resp.StatusCode != 200 || !bytes.Equal(b, full) {
		t.Errorf("2,000 one-byte ranges: %d, %d bytes for a %d-byte file; want the file once, 200", resp.StatusCode, len(b), len(full))
	}
	os.WriteFile(filepath.Join(f.dir, "secret.txt"), []byte("x"), 0o644)
	for _, p := range []string{"/recordings/secret.txt", "/recordings/..%2fsecret.txt", "/recordings/video2020-01-01-00-00-00.mkv", "/nope", "/api/recordings/x"} {
		if resp, _ := f.do(t, "GET", p, "admin", testPassword, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestDeleteNeedsDELETEAndSameOrigin(t *testing.T) {
	f := newFixture(t, 10)
	p := "/api/recordings/" + f.name
	if resp, _ := f.do(t, "POST", p, "admin", testPassword, nil); resp.StatusCode != 405 {
		t.Errorf("POST = %d, want 405", resp.StatusCode)
	}
	resp, _ := f.do(t, "DELETE", p, "admin", testPassword, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if resp.StatusCode != 403 {
		t.Errorf("cross-site DELETE = %d, want 403", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(f.dir, f.name)); err != nil {
		t.Fatal("cross-site request deleted the recording")
	}
	if resp, _ := f.do(t, "DELETE", p, "admin", testPassword, nil); resp.StatusCode != 204 {
		t.Errorf("DELETE = %d, want 204", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(f.dir, f.name)); !os.IsNotExist(err) {
		t.Error("recording still on disk after DELETE")
	}
	if resp, _ := f.do(t, "GET", p, "admin", testPassword, nil); resp.StatusCode != 404 {
		t.Errorf("GET after DELETE = %d", resp.StatusCode)
	}
}

func TestAPI(t *testing.T) {
	f := newFixture(t, 10)
	_, b := f.do(t, "GET", "/api/recordings?per_page=1&page=2", "admin", testPassword, nil)
	var page recordingsPage
	if err := json.Unmarshal(b, &page); err != nil || page.Total != 2 || len(page.Recordings) != 1 || page.Recordings[0].Name != f.name {
		t.Errorf("page 2 of 1 per page: %s", b)
	}
	if r := page.Recordings[0]; r.Frames != 200 || r.Duration < 19.9 || r.Duration > 20.1 {
		t.Errorf("recording %+v: want 200 frames, 20 s", r)
	}
	_, b = f.do(t, "GET", "/metrics", "admin", testPassword, nil)
	for _, want := range []string{"# TYPE unicam_recording_segments gauge", "unicam_recording_segments 2\n", "unicam_live_viewers 0"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
	_, b = f.do(t, "GET", "/api/status", "admin", testPassword, nil)
	if !strings.Contains(string(b), `"version": "test"`) {
		t.Errorf("/api/status: %s", b)
	}
}

func TestFrameAndPlayback(t *testing.T) {
	f := newFixture(t, 10)
	resp, b := f.do(t, "GET", "/recordings/"+f.name+"/frame.jpg?t=12345", "admin", testPassword, nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, testJPEG(t, 124%7+1)) {
		t.Errorf("frame at 12.345 s: %d, not frame 124", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/recordings/"+f.name+"/play.mjpg?t=5000&speed=8", nil)
	req.SetBasicAuth("admin", testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parts := readParts(t, resp, 3)
	if parts[0] != "5000" || parts[2] != "5200" {
		t.Errorf("playback from 5 s gave frames at %v ms", parts)
	}
}

// readParts reads n parts of a multipart stream and returns their
// X-Timestamp-Ms headers.
func readParts(t *testing.T, resp *http.Response, n int) []string {
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(bufio.NewReader(resp.Body), params["boundary"])
	var ts []string
	for i := 0; i < n; i++ {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		body, _ := io.ReadAll(p)
		if _, err := jpeg.Decode(bytes.NewReader(body)); err != nil {
			t.Errorf("part %d is not a JPEG: %v", i, err)
		}
		ts = append(ts, p.Header.Get("X-Timestamp-Ms"))
	}
	return ts
}

func TestLiveStreamAndViewerCap(t *testing.T) {
	f := newFixture(t, 1)
	stop := make(chan struct{})
	defer close(stop)
	// Pooled, poisoned frames, as an IP camera delivers them: a viewer
	// that wrote a frame after releasing it would send garbage, and one
	// released twice would panic.
	pool := &capture.FramePool{Poison: true}
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				fr := pool.Get(testJPEG(t, i%5+1))
				fr.Time = time.Now()
				f.hub.Publish(fr)
				fr.Release()
			}
		}
	}()
	req, _ := http.NewRequest("GET", f.srv.URL+"/stream.mjpg", nil)
	req.SetBasicAuth("admin", testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	readParts(t, resp, 5)
	if resp, _ := f.do(t, "GET", "/stream.mjpg", "admin", testPassword, nil); resp.StatusCode != 503 {
		t.Errorf("second viewer over a cap of 1 = %d, want 503", resp.StatusCode)
	}
	if resp, b := f.do(t, "GET", "/snapshot.jpg", "admin", testPassword, nil); resp.StatusCode != 200 || b[0] != 0xFF {
		t.Errorf("snapshot = %d", resp.StatusCode)
	}
}

func TestNoPasswordMeansGenerated(t *testing.T) {
	dir := t.TempDir()
	c, pw, err := LoadCredentials("", "", "", dir)
	if err != nil || pw == "" || c.User != "admin" || !c.check("admin", pw) {
		t.Fatalf("generated: %v %q", err, pw)
	}
	c2, pw2, err := LoadCredentials("", "", "", dir)
	if err != nil || pw2 != "" || !c2.check("admin", pw) {
		t.Errorf("second load: %v %q", err, pw2)
	}
	if _, _, err := LoadCredentials("", "short", "", dir); err == nil {
		t.Error("7-character password accepted")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
