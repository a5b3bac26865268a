package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"unicam/app/capture"
)

// Status is what the status page, /api/status and /metrics show. The app
// assembles it; the web server adds the viewer count.
type Status struct {
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	// Booted is when the machine booted, so a client can tell how long
	// after power-on the app started and recorded.
	Booted    time.Time       `json:"booted,omitzero"`
	Uptime    string          `json:"uptime"`
	Camera    capture.Status  `json:"camera"`
	Recording RecordingStatus `json:"recording"`
	Disk      DiskStatus      `json:"disk"`
	Retention []Setting       `json:"retention"`
	// Boot holds the runtime's boot-step timings, when it wrote them.
	Boot []BootStep `json:"boot,omitempty"`
	// App is the runtime supervisor's record of app restarts.
	App     AppStatus `json:"app"`
	Viewers int64     `json:"live_viewers"`
	// Log is the app's recent output, as the runtime keeps it.
	Log string `json:"log,omitempty"`
}

// AppStatus is how often the runtime restarted the app, and why last.
type AppStatus struct {
	Restarts int       `json:"restarts"`
	LastExit string    `json:"last_exit,omitempty"`
	LastAt   time.Time `json:"last_exit_at,omitzero"`
}

// RecordingStatus is the recorder's side.
type RecordingStatus struct {
	Current   string `json:"current,omitempty"`
	Segments  int    `json:"segments"`
	Bytes     int64  `json:"bytes"`
	Dropped   int64  `json:"dropped_frames"`
	Failures  int64  `json:"failed_segments"`
	LastError string `json:"last_error,omitempty"`
}

// DiskStatus is the data filesystem.
type DiskStatus struct {
	Path  string `json:"path"`
	Free  uint64 `json:"free"`
	Total uint64 `json:"total"`
}

// Setting is one named setting shown on the status page.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// BootStep is one step of the runtime's boot, as /run/unicam/boot.json
// records it.
type BootStep struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Err      string        `json:"error,omitempty"`
	// Background marks a step that ran beside the others.
	Background bool `json:"background,omitempty"`
}

func (s *Server) status() Status {
	st := s.opt.Status()
	st.Viewers = s.viewers.Load()
	if !st.Started.IsZero() {
		st.Uptime = time.Since(st.Started).Round(time.Second).String()
	}
	return st
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, "status", map[string]any{"Title": "Status", "S": s.status()})
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.status())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// metrics writes the Prometheus text exposition format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st := s.status()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	metric := func(name, kind, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", name, help, name, kind, name, v)
	}
	streaming := 0.0
	if st.Camera.State == capture.StateStreaming {
		streaming = 1
	}
	metric("unicam_camera_streaming", "gauge", "1 while the camera delivers frames.", streaming)
	metric("unicam_camera_fps", "gauge", "Frames per second from the camera.", st.Camera.FPS)
	metric("unicam_camera_frames_total", "counter", "Frames received from the camera.", float64(st.Camera.Frames))
	metric("unicam_camera_bytes_total", "counter", "Bytes of frames received from the camera.", float64(st.Camera.Bytes))
	metric("unicam_camera_dropped_frames_total", "counter", "Frames the camera source dropped (oversized, broken).", float64(st.Camera.Dropped))
	metric("unicam_recording_segments", "gauge", "Recordings on disk.", float64(st.Recording.Segments))
	metric("unicam_recording_bytes", "gauge", "Bytes of recordings on disk.", float64(st.Recording.Bytes))
	metric("unicam_recording_dropped_frames_total", "counter", "Frames the recorder could not write.", float64(st.Recording.Dropped))
	metric("unicam_recording_failed_segments_total", "counter", "Segments ended early by an I/O error.", float64(st.Recording.Failures))
	metric("unicam_disk_free_bytes", "gauge", "Free bytes on the data filesystem.", float64(st.Disk.Free))
	metric("unicam_disk_size_bytes", "gauge", "Size of the data filesystem.", float64(st.Disk.Total))
	metric("unicam_live_viewers", "gauge", "Live streams being served.", float64(st.Viewers))
	metric("unicam_app_restarts_total", "counter", "Times the runtime restarted the app.", float64(st.App.Restarts))
	if !st.Started.IsZero() {
		metric("unicam_uptime_seconds", "gauge", "Seconds since the app started.", time.Since(st.Started).Seconds())
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		metric("process_open_fds", "gauge", "Open file descriptors of the app.", float64(len(fds)))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, f := range parseMeminfo(string(b)) {
			metric(f.Metric, "gauge", "Memory information field "+f.Key+" (/proc/meminfo).", f.Value)
		}
	}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		var size, resident float64
		if _, err := fmt.Sscan(string(b), &size, &resident); err == nil {
			metric("process_resident_memory_bytes", "gauge", "Resident memory of the app.", resident*float64(os.Getpagesize()))
		}
	}
	w.Write([]byte(b.String()))
}

// MeminfoField is one line of /proc/meminfo as node_exporter names it:
// node_memory_<Key>_bytes for sizes, node_memory_<Key> for counts.
type MeminfoField struct {
	Key, Metric string
	Value       float64
}

// meminfoKey renames "Active(anon)" to "Active_anon", as node_exporter does.
var meminfoKey = strings.NewReplacer("(", "_", ")", "")

// parseMeminfo reads every field of /proc/meminfo, in order, sizes in
// bytes. A line that is not "Key: number [kB]" is skipped.
func parseMeminfo(s string) []MeminfoField {
	var out []MeminfoField
	for _, line := range strings.Split(s, "\n") {
		key, rest, found := strings.Cut(line, ":")
		key = meminfoKey.Replace(key)
		if !found || !validMetricKey(key) {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || n > 1<<50 {
			continue
		}
		f := MeminfoField{Key: key, Metric: "node_memory_" + key, Value: float64(n)}
		switch unit {
		case "kB":
			f.Metric, f.Value = f.Metric+"_bytes", float64(n<<10)
		case "":
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// validMetricKey reports whether k fits in a Prometheus metric name.
func validMetricKey(k string) bool {
	for i, c := range k {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return k != ""
}
