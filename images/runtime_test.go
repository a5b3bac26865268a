package images

import (
	"encoding/binary"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStaticNetworkBadKeyAndRestart boots with a static address, a
// config key the app does not know and a test hook that makes the app
// exit: the network comes up as given (and IPv6 from the router
// advertisement QEMU's user network sends), the bad key is dropped with a
// console line naming it, and the supervisor restarts the app, which goes
// on recording and reports the restart on /api/status.
func TestStaticNetworkBadKeyAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	g := boot(t, bakedImage(t, "qemu"), "unicam.ip=10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3",
		"unicam.colour=red", "unicam.fps=banana", "unicam.segment=5s", "unicam.exit-after=15s")
	restarted := regexp.MustCompile(`(?s)supervise: /bin/camera exited.*camera: testpattern`)
	g.waitFor("the app restarted after it exited", 120*time.Second, func() bool { return restarted.MatchString(g.consoleText()) })
	con := g.consoleText()
	// QEMU's user network advertises the fec0::/64 prefix; the kernel
	// takes an address from it beside the static IPv4 one.
	for _, want := range []string{
		"network eth0 10.0.2.15/24",
		"network eth0 IPv6 fec0::",
		"config: unicam.colour ignored, default used: usage: flag provided but not defined: -colour",
		"config: unicam.fps ignored, default used",
	} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	var st struct {
		App struct {
			Restarts int    `json:"restarts"`
			LastExit string `json:"last_exit"`
		} `json:"app"`
		Camera struct {
			State string `json:"state"`
		} `json:"camera"`
		Log string `json:"log"`
	}
	g.waitFor("status after the restart", 30*time.Second, func() bool {
		code, body, err := g.get("/api/status")
		return err == nil && code == 200 && json.Unmarshal(body, &st) == nil && st.App.Restarts >= 1 && st.Camera.State == "streaming"
	})
	if !strings.Contains(st.App.LastExit, "exit status 1") {
		t.Errorf("last exit %q", st.App.LastExit)
	}
	if !strings.Contains(st.Log, "exit-after 15s: test hook") {
		t.Errorf("the status page's recent output lacks the app's last words:\n%s", st.Log)
	}
	after := strings.Count(g.consoleText(), "rotation: finished")
	g.waitFor("recording after the restart", 30*time.Second, func() bool {
		return strings.Count(g.consoleText(), "rotation: finished") > after
	})
	if err := g.vm.Powerdown(20 * time.Second); err != nil {
		t.Fatalf("system_powerdown: %v", err)
	}
	e2fsck(t, g.disk)
}

// TestWatchdogResetsFrozenApp freezes the app (SIGSTOP through a test
// hook): its heartbeat stops, the runtime stops petting the i6300esb
// watchdog, the hardware resets the guest within the 15 s timeout + 5 s,
// and the next boot reports that the previous one ended by a watchdog
// reset.
func TestWatchdogResetsFrozenApp(t *testing.T) {
	vmTest(t)
	g := bootWith(t, bakedImage(t, "qemu"), bootOpts{DiskSize: "256M", Reboot: true}, "unicam.freeze-after=20s", "unicam.segment=5s")
	took := watchdogAfterFreeze(t, g)
	g.waitFor("the reset reported", 60*time.Second, func() bool {
		return strings.Contains(g.consoleText(), "the previous boot ended by a watchdog reset")
	})
	code, body, err := 0, []byte(nil), error(nil)
	g.waitFor("status", 60*time.Second, func() bool {
		code, body, err = g.get("/api/status")
		return err == nil && code == 200
	})
	if !strings.Contains(string(body), "watchdog reset") {
		t.Errorf("/api/status does not show the watchdog reset:\n%s", body)
	}
	figure(t, "R5", "frozen app (SIGSTOP) → watchdog reset, reported on the next boot",
		"QEMU's WATCHDOG event %.0f s after the freeze (15 s timeout; bound 20 s); the next boot's console and /api/status report the reset", took.Seconds())
}

// TestMicrovmWatchdogResetsFrozenApp: on microvm the tiny image arms the
// ISA ib700 watchdog, and a frozen app is reset by it. (ib700 keeps no
// boot status, so the next boot cannot tell why it started.)
func TestMicrovmWatchdogResetsFrozenApp(t *testing.T) {
	vmTest(t)
	g := bootWith(t, bakedImage(t, "tiny"), bootOpts{DiskSize: "256M", Reboot: true, Microvm: true}, "unicam.freeze-after=20s", "unicam.segment=5s")
	watchdogAfterFreeze(t, g)
	if !strings.Contains(g.consoleText(), "watchdog: armed (/dev/watchdog, legacy driver)") {
		t.Error("the console does not show the ib700 watchdog (/dev/watchdog) armed")
	}
	g.waitFor("the guest back after the reset", 90*time.Second, func() bool {
		return strings.Count(g.consoleText(), "watchdog: armed") == 2
	})
}

// watchdogAfterFreeze waits for the app in g (booted with
// unicam.freeze-after=20s) to freeze and for QEMU's WATCHDOG event, and
// returns the time between them, failing the test beyond the 15 s
// timeout + 5 s.
func watchdogAfterFreeze(t *testing.T, g *guest) time.Duration {
	t.Helper()
	q, err := g.vm.QMP()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	fired := make(chan time.Time, 1)
	go func() {
		at, err := q.WaitEvent("WATCHDOG", 4*time.Minute)
		if err == nil {
			fired <- at
		}
		close(fired)
	}()
	g.waitFor("the watchdog armed", 90*time.Second, func() bool { return strings.Contains(g.consoleText(), "watchdog: armed") })
	g.waitFor("the app frozen", 60*time.Second, func() bool { return strings.Contains(g.consoleText(), "freeze-after 20s: test hook") })
	frozen := time.Now()
	at, ok := <-fired
	if !ok {
		t.Fatal("QEMU reported no WATCHDOG event")
	}
	// QEMU's own event marks the reset; the next boot's first line would
	// add the kernel's boot time, which depends on the machine's load.
	took := at.Sub(frozen)
	t.Logf("watchdog fired %v after the app froze", took.Round(time.Second))
	if took > 20*time.Second {
		t.Errorf("watchdog fired %v after the freeze; want within the 15 s timeout + 5 s", took)
	}
	return took
}

// sntpServer answers SNTP requests on loopback port 123 with a fixed
// time, as a LAN time server would; the guest reaches it at 10.0.2.2
// through QEMU's user network. (u-root's ntpdate always asks port 123.)
func sntpServer(t *testing.T, now time.Time) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:123")
	if err != nil {
		t.Fatalf("SNTP test server on 127.0.0.1:123 (needs root, and the port free): %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 128)
		for {
			n, addr, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4                   // no leap warning, version 4, server
			resp[1] = 2                                 // stratum
			resp[3] = 0xEC                              // precision
			binary.BigEndian.PutUint32(resp[4:], 1<<10) // root delay
			binary.BigEndian.PutUint32(resp[8:], 1<<10) // root dispersion
			copy(resp[12:16], "LOCL")
			ts := ntpTime(now)
			binary.BigEndian.PutUint64(resp[16:], ntpTime(now.Add(-time.Minute)))
			copy(resp[24:32], buf[40:48]) // origin = the request's transmit time
			binary.BigEndian.PutUint64(resp[32:], ts)
			binary.BigEndian.PutUint64(resp[40:], ts)
			conn.WriteTo(resp, addr)
		}
	}()
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900, fraction).
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + 2208988800)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// TestNTPSetsTheClockBeforeRecording boots with unicam.ntp pointing at a
// time server that says 2030: the runtime sets the clock before the app
// starts, so the first recording is named by the server's time.
func TestNTPSetsTheClockBeforeRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; run without -short (make test)")
	}
	sntpServer(t, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	g := boot(t, bakedImage(t, "qemu"), "unicam.ntp=10.0.2.2", "unicam.segment=5s")
	g.waitFor("the clock set from the NTP server", 90*time.Second, func() bool {
		return strings.Contains(g.consoleText(), "clock set from 10.0.2.2")
	})
	g.waitFor("a recording named by the NTP time", 60*time.Second, func() bool {
		_, body, err := g.get("/")
		return err == nil && strings.Contains(string(body), "video2030-01-02-03-0")
	})
}
