package images

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStaticNetworkBadKeyAndRestart boots with a static address, a
// config key the app does not know and a test hook that makes the app
// exit: the network comes up as given, the bad key is dropped with a
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
	for _, want := range []string{
		"network eth0 10.0.2.15/24",
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
	}
	g.waitFor("status after the restart", 30*time.Second, func() bool {
		code, body, err := g.get("/api/status")
		return err == nil && code == 200 && json.Unmarshal(body, &st) == nil && st.App.Restarts >= 1 && st.Camera.State == "streaming"
	})
	if !strings.Contains(st.App.LastExit, "exit status 1") {
		t.Errorf("last exit %q", st.App.LastExit)
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
