package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestVividWebcamRecording boots the test flavour, whose kernel's vivid
// driver is a V4L2 webcam, records from /dev/video0 through
// blackjack/webcam, and checks the file with ffprobe.
func TestVividWebcamRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	g := boot(t, bakedImage(t, "test"), "unicam.source=/dev/video0", "unicam.segment=10s", "unicam.overlay=bottom-left")
	var page string
	g.waitFor("finished recording from /dev/video0", 120*time.Second, func() bool {
		code, body, err := g.get("/")
		page = string(body)
		return err == nil && code == 200 && finishedLink.MatchString(page)
	})
	con := g.consoleText()
	mode := regexp.MustCompile(`capture: v4l2 /dev/video0: asked 640x360, capturing (\S+) (\d+)x(\d+)`).FindStringSubmatch(con)
	if mode == nil {
		t.Fatalf("console does not report the chosen V4L2 mode")
	}
	name := finishedLink.FindStringSubmatch(page)[1]
	code, body, err := g.get("/recordings/" + name)
	if err != nil || code != 200 {
		t.Fatalf("download %s: %d %v", name, code, err)
	}
	file := filepath.Join(t.TempDir(), name)
	os.WriteFile(file, body, 0o644)
	probe := ffprobe(t, file)
	var frames string
	for _, m := range finishedLine.FindAllStringSubmatch(con, -1) {
		if m[1] == name {
			frames = m[2]
		}
	}
	if probe != "mjpeg,"+frames || frames == "0" {
		t.Errorf("ffprobe %s = %q, want mjpeg with the %s frames the recorder logged", name, probe, frames)
	}
	t.Logf("vivid: captured %s %sx%s; %s: %d bytes, ffprobe %s", mode[1], mode[2], mode[3], name, len(body), probe)
	if strings.Contains(con, "Kernel panic") {
		t.Error("kernel panic on the console")
	}
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
}
