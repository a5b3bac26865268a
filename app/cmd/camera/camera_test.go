package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "800MiB": 800 << 20, "2G": 2 << 30, "5 KB": 5000, "7B": 7} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5G", "lots", "9999999999T"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	f.Add("800MiB")
	f.Add("2G")
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseBytes(s); err == nil && n < 0 {
			t.Fatalf("ParseBytes(%q) = %d", s, n)
		}
	})
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-source", "webcam9"}, {"-segment", "0s"}, {"-max-bytes", "lots"}, {"-fps", "0"}, {"stray"}} {
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
		done <- run(ctx, []string{"-data", dir, "-listen", addr, "-fps", "20", "-width", "160", "-height", "120", "-segment", "1s"}, io.Discard)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `.mkv" download`) {
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
