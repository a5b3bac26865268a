package images

import (
	"fmt"
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
		"ENOSPC ended the open segment cleanly; the oldest recording was deleted for room; %d more segments finished after; %d newest recordings play (ffprobe); e2fsck -fn clean (host-side EIO and ENOSPC: R3-EIO, R3-ENOSPC)",
		strings.Count(con, "rotation: finished")-at, checked)
}

// blkdebugRules makes QEMU's blkdebug fail the first guest write after
// the given number of flushes with errno, once: a chain of set-state
// rules counts the flushes (every fsync reaches QEMU as one), so the
// fault lands while the app records, at a time the test does not have to
// guess.
func blkdebugRules(flushes, errno int) string {
	var b strings.Builder
	for i := 1; i <= flushes; i++ {
		fmt.Fprintf(&b, "[set-state]\nevent = \"flush_to_disk\"\nstate = \"%d\"\nnew_state = \"%d\"\n\n", i, i+1)
	}
	fmt.Fprintf(&b, "[inject-error]\nevent = \"write_aio\"\nstate = \"%d\"\nerrno = \"%d\"\nonce = \"on\"\n", flushes+1, errno)
	return b.String()
}

// recordingSectors are sectors of the 256 MiB test data disk that the
// recordings' data reach in their first half minute and nothing else
// writes: mke2fs gives it 1 KiB blocks in 8,192-block groups and puts the
// journal at blocks 114,689–122,880; ext4 places a regular file's data
// from block group 1 on (blocks 8,993–11,409 held the first eight 3 s
// segments here). A failed write there is a failed data write, which the
// guest sees at fsync; one into the journal would abort it and leave the
// filesystem read-only.
var recordingSectors = []int{20000, 20800, 21600, 22400}

// dataWriteRules makes blkdebug fail, once each, the first guest write
// that covers each sector, with errno.
func dataWriteRules(sectors []int, errno int) string {
	var b strings.Builder
	for _, sec := range sectors {
		fmt.Fprintf(&b, "[inject-error]\nevent = \"write_aio\"\nsector = \"%d\"\nerrno = \"%d\"\nonce = \"on\"\n\n", sec, errno)
	}
	return b.String()
}

// injectedFault boots the qemu image recording 3 s segments onto a
// 256 MiB data disk opened through blkdebug with rules, under QEMU's
// werror policy.
func injectedFault(t *testing.T, rules, werror string) *guest {
	path := filepath.Join(t.TempDir(), "blkdebug.conf")
	if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return bootWith(t, bakedImage(t, "qemu"), bootOpts{DiskSize: "256M", DiskFaults: path, WriteErrors: werror}, "unicam.segment=3s")
}

// TestR3InjectedDiskErrors fails one write of the data disk from the host,
// with QEMU's blkdebug, while the app records. EIO reaches the guest: the
// segment being written fails loudly (console and status page), nothing
// panics, recording resumes, and every finished recording plays. ENOSPC
// on the host stops the VM, as QEMU does for a full host disk; once the
// host has room again (cont), the write is retried and recording goes on
// without an error in the guest.
func TestR3InjectedDiskErrors(t *testing.T) {
	vmTest(t)
	t.Run("EIO", func(t *testing.T) {
		g := injectedFault(t, dataWriteRules(recordingSectors, 5), "report")
		failed := regexp.MustCompile(`rotation: .*input/output error`)
		g.waitFor("the injected EIO reported by the recorder", 150*time.Second, func() bool { return failed.MatchString(g.consoleText()) })
		if strings.Contains(g.consoleText(), "Aborting journal") {
			t.Fatal("the injected EIO hit the journal: recordingSectors no longer match where ext4 puts data")
		}
		at := strings.Count(g.consoleText(), "rotation: finished")
		g.waitFor("recording going on after the EIO", 60*time.Second, func() bool {
			return strings.Count(g.consoleText(), "rotation: finished") >= at+2
		})
		var st struct {
			Recording struct {
				Failures  int64  `json:"failed_segments"`
				LastError string `json:"last_error"`
			} `json:"recording"`
			App struct {
				Restarts int `json:"restarts"`
			} `json:"app"`
		}
		if err := g.getJSON("/api/status", &st); err != nil {
			t.Fatal(err)
		}
		if st.Recording.Failures < 1 || st.Recording.LastError == "" {
			t.Errorf("/api/status does not show the failed segment: %+v", st.Recording)
		}
		if st.App.Restarts != 0 {
			t.Errorf("the app restarted %d times", st.App.Restarts)
		}
		checkAfterFault(t, g)
		figure(t, "R3-EIO", "host-side EIO on one write (QEMU blkdebug, werror=report) while recording",
			"the recorder reported it (console: %q); /api/status: %d failed segment(s), last error %q; %d segments finished after it; no panic; the newest recordings play (ffprobe); e2fsck -fn clean after power-off",
			failed.FindString(g.consoleText()), st.Recording.Failures, st.Recording.LastError, strings.Count(g.consoleText(), "rotation: finished")-at)
	})
	t.Run("ENOSPC", func(t *testing.T) {
		g := injectedFault(t, blkdebugRules(40, 28), "enospc")
		q, err := g.vm.QMP()
		if err != nil {
			t.Fatal(err)
		}
		stopped, err := q.WaitEvent("BLOCK_IO_ERROR", 150*time.Second)
		if err != nil {
			t.Fatalf("no BLOCK_IO_ERROR: %v", err)
		}
		time.Sleep(2 * time.Second)
		err = q.Execute("cont")
		q.Close() // QEMU serves one QMP client at a time; the power-off needs one
		if err != nil {
			t.Fatal(err)
		}
		at := strings.Count(g.consoleText(), "rotation: finished")
		g.waitFor("recording going on after the host had room again", 60*time.Second, func() bool {
			return strings.Count(g.consoleText(), "rotation: finished") >= at+2
		})
		for _, bad := range []string{"I/O error", "ended early", "fsync failed"} {
			if strings.Contains(g.consoleText(), bad) {
				t.Errorf("the guest saw %q: a host ENOSPC should only pause it", bad)
			}
		}
		checkAfterFault(t, g)
		figure(t, "R3-ENOSPC", "host-side ENOSPC on one write (QEMU blkdebug, QEMU's default werror=enospc) while recording",
			"QEMU stopped the VM (BLOCK_IO_ERROR at %s), resumed it 2 s later; the write was retried, the guest saw no error; %d segments finished after; no panic; the newest recordings play (ffprobe); e2fsck -fn clean after power-off",
			stopped.Format("15:04:05"), strings.Count(g.consoleText(), "rotation: finished")-at)
	})
}

// checkAfterFault checks that nothing panicked, the two newest finished
// recordings play, and the filesystem is clean after a power-off.
func checkAfterFault(t *testing.T, g *guest) {
	t.Helper()
	if strings.Contains(g.consoleText(), "panic") {
		t.Errorf("the console shows a panic")
	}
	_, page, err := g.get("/")
	if err != nil {
		t.Fatal(err)
	}
	names := finishedLink.FindAllStringSubmatch(string(page), -1)
	if len(names) < 2 {
		t.Fatalf("%d finished recordings listed", len(names))
	}
	for _, m := range names[:2] {
		code, body, err := g.get("/recordings/" + m[1])
		if err != nil || code != 200 {
			t.Fatalf("download %s: %d %v", m[1], code, err)
		}
		file := filepath.Join(t.TempDir(), m[1])
		os.WriteFile(file, body, 0o644)
		if p := ffprobe(t, file); !strings.HasPrefix(p, "mjpeg,") || p == "mjpeg,0" {
			t.Errorf("%s: ffprobe %q", m[1], p)
		}
	}
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
}
