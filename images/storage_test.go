package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFullDataDisk records onto a 6 MiB data disk with a byte cap larger
// than the disk, so the kernel's ENOSPC is what stops writes: the segment
// being written ends cleanly, the oldest is deleted, recording goes on,
// every finished recording plays, and the filesystem stays clean.
func TestFullDataDisk(t *testing.T) {
	vmTest(t)
	g := bootDisk(t, bakedImage(t, "qemu"), "6M", "unicam.max-bytes=1G", "unicam.segment=4s", "unicam.fps=10", "unicam.quality=95")
	full := regexp.MustCompile(`ended early: .*no space left on device`)
	g.waitFor("a write refused with ENOSPC", 150*time.Second, func() bool { return full.MatchString(g.consoleText()) })
	at := strings.Count(g.consoleText(), "rotation: finished")
	g.waitFor("recording going on after the disk filled", 60*time.Second, func() bool {
		return strings.Count(g.consoleText(), "rotation: finished") >= at+2
	})
	con := g.consoleText()
	if !strings.Contains(con, "for a full disk") {
		t.Errorf("no segment deleted to make room on the full disk")
	}
	// The newest finished recordings: older ones may be deleted for room
	// at any moment on a disk this full, so a deleted one is listed anew.
	checked := 0
	g.waitFor("two recordings downloaded and played after the disk filled", 60*time.Second, func() bool {
		_, page, err := g.get("/")
		names := finishedLink.FindAllStringSubmatch(string(page), -1)
		if err != nil || len(names) < 2 {
			return false
		}
		for _, m := range names[:2] {
			code, body, err := g.get("/recordings/" + m[1])
			if err != nil || code == 404 {
				return false
			}
			if code != 200 {
				t.Fatalf("download %s: %d", m[1], code)
			}
			file := filepath.Join(t.TempDir(), m[1])
			os.WriteFile(file, body, 0o644)
			if p := ffprobe(t, file); !strings.HasPrefix(p, "mjpeg,") || p == "mjpeg,0" {
				t.Errorf("%s after the disk filled: ffprobe %q", m[1], p)
			}
			checked++
		}
		return true
	})
	t.Logf("%d recordings checked with ffprobe after the disk filled", checked)
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
	figure(t, "R3", "disk full (6 MiB data disk, cap larger than the disk)",
		"ENOSPC ended the open segment cleanly; the oldest recording was deleted for room; %d more segments finished after; %d newest recordings play (ffprobe); e2fsck -fn clean. EIO is injected through the recorder's filesystem seam only (unit tests), not with QEMU's blkdebug",
		strings.Count(con, "rotation: finished")-at, checked)
}
