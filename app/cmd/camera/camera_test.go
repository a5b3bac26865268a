package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-source", "webcam9"}, {"-segment", "0s"}, {"-max-bytes", "lots"}, {"-fps", "0"}, {"stray"},
		{"-container", "avi2"}, {"-timezone", "Mars/Olympus"}, {"-min-free", "120%"}, {"-align", "-segment", "7m"}} {
		err := run(context.Background(), append(args, "-data", t.TempDir()), io.Discard)
		if !errors.Is(err, ErrUsage) || exitCode(err) != 2 {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestRunRecordsAndServes runs the whole app in-process on loopback.
func TestRunRecordsAndServes(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-data", dir, "-listen", addr, "-fps", "20", "-width", "160", "-height", "120", "-segment", "1s",
			"-password", "correct horse"}, io.Discard)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req.SetBasicAuth("admin", "correct horse")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `.mkv" download`) && resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no finished recording listed within 20s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.partial"))
	if len(left) != 0 {
		t.Errorf("open segment not finished on stop: %v", left)
	}
	mkvs, _ := filepath.Glob(filepath.Join(dir, "*.mkv"))
	if len(mkvs) < 2 {
		t.Errorf("recorded %v", mkvs)
	}
	_ = os.RemoveAll(dir)
}

// TestRunRecordsFromIPCamera records from a loopback IP-camera simulator
// that demands Basic credentials, and checks the file with ffprobe.
func TestRunRecordsFromIPCamera(t *testing.T) {
	jpg := frameJPEG(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pa55" {
			w.Header().Set("WWW-Authenticate", `Basic realm="cam"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=myboundary")
		for r.Context().Err() == nil {
			fmt.Fprintf(w, "--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(jpg))
			w.Write(jpg)
			w.Write([]byte("\r\n"))
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("pa55\n"), 0o600)
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	err := run(ctx, []string{"-data", dir, "-listen", "127.0.0.1:0", "-segment", "1s",
		"-source", srv.URL + "/videostream.cgi", "-camera-user", "admin", "-camera-password-file", pwFile}, &logs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	mkvs, _ := filepath.Glob(filepath.Join(dir, "*.mkv"))
	if len(mkvs) < 2 {
		t.Fatalf("recorded %v\n%s", mkvs, logs.String())
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,width,height,nb_read_frames",
		"-of", "csv=p=0", mkvs[0]).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "mjpeg,96,64,") {
		t.Errorf("ffprobe %s: %s %v", mkvs[0], out, err)
	}
	if strings.Contains(logs.String(), "pa55") {
		t.Errorf("camera password in the log:\n%s", logs.String())
	}
}

func frameJPEG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 96, 64))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGeneratedPasswordShownOnceStoredHashed starts the app without a
// password: one is generated, printed once, stored as a bcrypt hash, and
// the next start prints nothing and accepts the same password.
func TestGeneratedPasswordShownOnceStoredHashed(t *testing.T) {
	dir := t.TempDir()
	start := func() string {
		var logs bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := run(ctx, []string{"-data", dir, "-listen", "127.0.0.1:0"}, &logs); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	first := start()
	m := regexp.MustCompile(`log in as "admin" with password (\S+) `).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("no generated password on the console:\n%s", first)
	}
	stored, err := os.ReadFile(filepath.Join(dir, ".unicam", "web-password.bcrypt"))
	if err != nil || !strings.HasPrefix(string(stored), "$2") || strings.Contains(string(stored), m[1]) {
		t.Fatalf("stored %q, %v; want a bcrypt hash, not the password", stored, err)
	}
	if second := start(); strings.Contains(second, m[1]) || strings.Contains(second, "log in as") {
		t.Errorf("password shown again on the second start:\n%s", second)
	}
}

func TestLenientDropsOnlyBadKeys(t *testing.T) {
	var out bytes.Buffer
	kept := dropRejected([]string{"-fps=10", "-segment=banana", "-colour=red", "-container=avi2", "-password=tiny7", "-max-bytes=20G"}, log.New(&out, "", 0))
	if want := []string{"-fps=10", "-max-bytes=20G"}; !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	got := out.String()
	for _, bad := range []string{"unicam.segment ignored", "unicam.colour ignored, default used: usage: flag provided but not defined", "unicam.container ignored", "unicam.password ignored"} {
		if !strings.Contains(got, bad) {
			t.Errorf("log lacks %q:\n%s", bad, got)
		}
	}
	if strings.Contains(got, "fps") || strings.Contains(got, "max-bytes") {
		t.Errorf("good key reported:\n%s", got)
	}
	if strings.Contains(got, "tiny7") {
		t.Errorf("password value printed:\n%s", got)
	}
}
