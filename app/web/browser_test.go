package web

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"unicam/app/capture"
)

// screenshotDir keeps the browser test's screenshots as artifacts.
func screenshotDir(t *testing.T) string {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "..", "images", "out", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser drives Debian's Chromium, headless, through the interface:
// log in, see the list, play a recording, seek, and watch live frames
// change.
// browserProfile is a scratch profile folder for Chromium. Its helper
// processes can still write there for a moment after the browser is
// killed, which made t.TempDir's removal fail the test now and then; the
// folder is removed once they are done instead.
func browserProfile(t *testing.T) string {
	dir, err := os.MkdirTemp("", "unicam-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("Chromium profile %s left behind: %v", dir, err)
	})
	return dir
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; run without -short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install it with scripts/install-deps.sh (Debian package chromium)")
	}
	f := newFixture(t, 10)
	stop := publishTestPattern(t, f.hub)
	defer stop()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(browserProfile(t)),
		chromedp.WindowSize(1100, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	shots := screenshotDir(t)
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var b []byte
			if err := chromedp.FullScreenshot(&b, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), b, 0o644)
		})
	}

	var listText string
	err = chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible(`input[name=password]`),
		shot("1-login.png"),
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Submit(`form.login`),
		chromedp.WaitVisible(`a.play`),
		chromedp.Text(`main`, &listText),
		shot("2-list.png"),
	)
	if err != nil {
		t.Fatalf("log in and list: %v", err)
	}
	if !strings.Contains(listText, "video2026-03-17-13-24-58.mkv") || !strings.Contains(listText, "video2026-03-17-13-24-38.mkv") ||
		strings.Index(listText, "13-24-58") > strings.Index(listText, "13-24-38") {
		t.Errorf("list not newest first:\n%s", listText)
	}

	var pos1, pos2, clock1, clock2 string
	err = chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/play/"+f.name),
		chromedp.WaitVisible(`#picture`),
		chromedp.Text(`#clock`, &clock1),
		chromedp.Click(`#playpause`),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.AttributeValue(`#player`, "data-position", &pos1, nil),
		shot("3-playing.png"),
		chromedp.SetValue(`#timeline`, "15000"),
		chromedp.Evaluate(`document.getElementById('timeline').dispatchEvent(new Event('input'))`, nil),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.AttributeValue(`#player`, "data-position", &pos2, nil),
		chromedp.Text(`#clock`, &clock2),
		chromedp.Click(`#playpause`),
		shot("4-seeked-paused.png"),
	)
	if err != nil {
		t.Fatalf("play and seek: %v", err)
	}
	p1, _ := strconv.Atoi(pos1)
	p2, _ := strconv.Atoi(pos2)
	if p1 < 500 || p2 < 15000 || p2 > 17000 || clock1 == clock2 || !strings.Contains(clock2, "13:24:5") {
		t.Errorf("player: position %s ms after 1.5 s of play, %s ms after seeking to 15 s; clock %q → %q", pos1, pos2, clock1, clock2)
	}

	var live1, live2 []byte
	err = chromedp.Run(ctx,
		chromedp.Navigate(f.srv.URL+"/live"),
		chromedp.WaitVisible(`#live`),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Screenshot(`#live`, &live1, chromedp.NodeVisible),
		chromedp.Sleep(700*time.Millisecond),
		chromedp.Screenshot(`#live`, &live2, chromedp.NodeVisible),
		shot("5-live.png"),
	)
	if err != nil {
		t.Fatalf("live: %v", err)
	}
	if len(live1) == 0 || bytes.Equal(live1, live2) {
		t.Error("live picture did not change between two screenshots 0.7 s apart")
	}
}

// publishTestPattern feeds the hub with a real moving test pattern.
func publishTestPattern(t *testing.T, hub *capture.Hub) func() {
	ctx, cancel := context.WithCancel(context.Background())
	p := &capture.TestPattern{Width: 320, Height: 180, FPS: 10, Quality: 70, Overlay: capture.Overlay{Enabled: true, Pos: capture.TopLeft}}
	done := make(chan struct{})
	go func() { p.Run(ctx, hub.Publish); close(done) }()
	return func() { cancel(); <-done }
}
