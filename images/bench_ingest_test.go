package images

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// recorder is one tool that records an MJPEG URL into a folder: unicam's
// camera app, or what a user would run instead.
type recorder struct {
	name string
	// start begins recording url into dir; the process ends by itself
	// when the stream ends, unless stopAtEnd.
	start func(tb testing.TB, url, dir string) *exec.Cmd
	// stopAtEnd: the tool reconnects forever (a recorder), so it is sent
	// SIGTERM once the stream has ended and finishes its file then.
	stopAtEnd bool
	// output matches the files the tool recorded.
	output string
}

// recorders are the tools the ingest benchmark compares.
func recorders() []recorder {
	return []recorder{
		{name: "unicam", start: startUnicamRecorder, stopAtEnd: true, output: "*.mkv"},
		{name: "curl -o", start: func(tb testing.TB, url, dir string) *exec.Cmd {
			return startTool(tb, "curl", "-sS", "-o", filepath.Join(dir, "out.mjpeg"), url)
		}, output: "out.mjpeg"},
		{name: "ffmpeg -c copy", start: func(tb testing.TB, url, dir string) *exec.Cmd {
			return startTool(tb, "ffmpeg", "-nostdin", "-loglevel", "error", "-f", "mpjpeg", "-i", url, "-c", "copy", filepath.Join(dir, "out.mkv"))
		}, output: "out.mkv"},
	}
}

// startUnicamRecorder runs the camera app as the appliance does, into
// Matroska segments, without its web server being used. Its cap is raised
// above the stream's size: at the default 1 GiB, retention would delete
// the first segment and the bench would measure that.
func startUnicamRecorder(tb testing.TB, url, dir string) *exec.Cmd {
	return startHostCamera(tb, dir, "-source", url, "-segment", "1h", "-container", "mkv", "-max-bytes", "64GiB").cmd
}

func startTool(tb testing.TB, name string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(name, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: %v (scripts/install-deps.sh installs it)", name, err)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if tb.Failed() && out.Len() > 0 {
			tb.Logf("%s output:\n%s", name, out)
		}
	})
	return cmd
}

// recorded is the size of what a tool wrote into dir.
func recorded(dir, pattern string) int64 {
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// ingestRun is one tool recording one whole stream as fast as it goes.
type ingestRun struct {
	mbps     float64 // recorded MB per second, from the request to the finished file
	cpuPerGB float64 // CPU seconds per recorded GB, the whole process
	kept     float64 // recorded bytes over the stream's bytes
}

// ingestFast records a stream of frames 720p frames, unpaced, with r.
func ingestFast(tb testing.TB, src *mjpegSource, r recorder) ingestRun {
	tb.Helper()
	dir, err := os.MkdirTemp(benchScratch(tb), "ingest-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	src.Served()
	cmd := r.start(tb, src.URL(), dir)
	var served []streamServed
	waitUntil(tb, r.name+"'s stream to end", 2*time.Minute, func() bool {
		served = append(served, src.Served()...)
		return len(served) > 0
	})
	if r.stopAtEnd {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	if err := cmd.Wait(); err != nil && !r.stopAtEnd {
		tb.Fatalf("%s: %v", r.name, err)
	}
	end := time.Now()
	n := recorded(dir, r.output)
	if n == 0 {
		tb.Fatalf("%s recorded nothing", r.name)
	}
	secs := end.Sub(served[0].Start).Seconds()
	return ingestRun{mbps: float64(n) / 1e6 / secs, cpuPerGB: processCPU(cmd).Seconds() / (float64(n) / 1e9),
		kept: float64(n) / float64(served[0].Bytes)}
}

// benchScratch is where benchmarks record: a folder in memory (tmpfs)
// when there is one, so the host's shared disk is not what is measured.
func benchScratch(tb testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "unicam-bench-")
		if err == nil {
			tb.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return tb.TempDir()
}

func waitUntil(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("no %s within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkIngest records the same loopback 720p MJPEG stream, unpaced,
// with unicam, curl -o (a raw byte copy: the limit) and ffmpeg -c copy (a
// peer), benchRuns times each in turns, and reports medians: recorded
// MB/s, CPU seconds per recorded GB, and unicam's ratios (goals: ≥ 0.8×
// curl's throughput, ≤ 0.5× ffmpeg's CPU per GB).
func BenchmarkIngest(b *testing.B) {
	const frames = 12000
	src := newMJPEGSource(b, 0, frames)
	tools := recorders()
	mbps := make([][]float64, len(tools))
	cpu := make([][]float64, len(tools))
	kept := make([][]float64, len(tools))
	for b.Loop() {
		for run := range benchRuns {
			for k := range tools {
				i := (k + run) % len(tools)
				r := ingestFast(b, src, tools[i])
				mbps[i] = append(mbps[i], r.mbps)
				cpu[i] = append(cpu[i], r.cpuPerGB)
				kept[i] = append(kept[i], r.kept)
			}
		}
	}
	med := func(xs [][]float64, i int) float64 { return medianOf(xs[i]) }
	var parts []string
	for i, t := range tools {
		b.ReportMetric(med(mbps, i), metricName(t.name)+"-MB/s")
		b.ReportMetric(med(cpu, i), metricName(t.name)+"-cpu-s/GB")
		parts = append(parts, fmt.Sprintf("%s %.0f MB/s, %.2f CPU-s/GB", t.name, med(mbps, i), med(cpu, i)))
	}
	vsCurl := med(mbps, 0) / med(mbps, 1)
	vsFFmpeg := med(cpu, 0) / med(cpu, 2)
	b.ReportMetric(vsCurl, "throughput-vs-curl")
	b.ReportMetric(vsFFmpeg, "cpu-vs-ffmpeg")
	streamMB := float64(frames*src.FrameBytes()) / 1e6
	benchFigure(b, "I1", "ingest as fast as it goes: unicam's recorded throughput over curl's (goal ≥ 0.8×)", vsCurl >= 0.8,
		"**%.2f×**: %s. unicam's reader outran its writer and kept %.0f%% of the frames: the hub drops what the recorder cannot take rather than stall the camera or the live view (%d frames, %.0f MB, 720p, loopback into tmpfs; medians of %d)",
		vsCurl, strings.Join(parts, "; "), 100*med(kept, 0), frames, streamMB, benchRuns)
	benchFigure(b, "I2", "ingest as fast as it goes: unicam's CPU per recorded GB over ffmpeg's (goal ≤ 0.5×)", vsFFmpeg <= 0.5,
		"**%.2f×**: unicam %.2f, ffmpeg %.2f, curl %.2f CPU-s per recorded GB (whole process, start to finished file); unicam's includes reading the frames it dropped: %.2f CPU-s per GB read",
		vsFFmpeg, med(cpu, 0), med(cpu, 2), med(cpu, 1), med(cpu, 0)*med(kept, 0))
}

// metricName makes a tool's name fit a benchmark metric unit.
func metricName(s string) string {
	return strings.Fields(s)[0]
}

// motionConf is Debian's motion set up as a user would for an IP camera
// recorded continuously without re-encoding: network camera, movie
// passthrough into Matroska, motion emulated so that it always records.
const motionConf = `daemon off
setup_mode off
log_level 4
log_file %[1]s/motion.log
target_dir %[1]s
netcam_url %[2]s
width 1280
height 720
framerate 30
emulate_motion on
event_gap 60
picture_output off
movie_output on
movie_passthrough on
movie_codec mkv
movie_max_time 0
movie_filename motion-%%v
webcontrol_port 0
stream_port 0
`

// motionRecorder is Debian's motion package recording like unicam.
func motionRecorder() recorder {
	return recorder{name: "motion", stopAtEnd: true, output: "motion-*", start: func(tb testing.TB, url, dir string) *exec.Cmd {
		conf := filepath.Join(dir, "motion.conf")
		if err := os.WriteFile(conf, fmt.Appendf(nil, motionConf, dir, url), 0o644); err != nil {
			tb.Fatal(err)
		}
		return startTool(tb, "motion", "-n", "-c", conf)
	}}
}

// pacedRun is what each tool used while recording a 30 fps stream.
type pacedRun struct {
	cpu   []time.Duration // per tool, over the measured window
	bytes []int64         // per tool, recorded in the whole run
}

// recordPaced runs every tool at once on its own connection to a 30 fps
// source, and measures each one's CPU over window once all are
// streaming.
func recordPaced(tb testing.TB, src *mjpegSource, tools []recorder, window time.Duration) pacedRun {
	tb.Helper()
	scratch := benchScratch(tb)
	cmds := make([]*exec.Cmd, len(tools))
	dirs := make([]string, len(tools))
	for i, r := range tools {
		dirs[i] = filepath.Join(scratch, fmt.Sprintf("tool%d", i))
		if err := os.Mkdir(dirs[i], 0o755); err != nil {
			tb.Fatal(err)
		}
		cmds[i] = r.start(tb, src.URL(), dirs[i])
	}
	waitUntil(tb, "every tool streaming", time.Minute, func() bool { return src.Active() == len(tools) })
	time.Sleep(2 * time.Second)
	before := make([]time.Duration, len(tools))
	for i, c := range cmds {
		before[i], _ = cpuTime(c.Process.Pid)
	}
	time.Sleep(window)
	run := pacedRun{cpu: make([]time.Duration, len(tools)), bytes: make([]int64, len(tools))}
	for i, c := range cmds {
		after, err := cpuTime(c.Process.Pid)
		if err != nil {
			tb.Fatalf("%s: %v", tools[i].name, err)
		}
		run.cpu[i] = after - before[i]
	}
	if n := src.Active(); n != len(tools) {
		tb.Fatalf("%d of %d tools still streaming after the window", n, len(tools))
	}
	for i, c := range cmds {
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
		if run.bytes[i] = recorded(dirs[i], tools[i].output); run.bytes[i] == 0 {
			tb.Fatalf("%s recorded nothing", tools[i].name)
		}
	}
	src.Served()
	return run
}

// BenchmarkRecord30fps records a 720p stream at 30 fps, as a camera sends
// it, with unicam, curl, ffmpeg and Debian's motion (passthrough) at once,
// each on its own connection, benchRuns times, and reports the median CPU
// each used per recorded GB and per recorded minute (goal: unicam ≤ 0.5×
// ffmpeg's CPU per GB).
func BenchmarkRecord30fps(b *testing.B) {
	const window = 20 * time.Second
	src := newMJPEGSource(b, 30, 0)
	tools := append(recorders(), motionRecorder())
	cpu := make([][]float64, len(tools))
	for b.Loop() {
		for range benchRuns {
			r := recordPaced(b, src, tools, window)
			for i := range tools {
				cpu[i] = append(cpu[i], r.cpu[i].Seconds())
			}
		}
	}
	gb := window.Seconds() * 30 * float64(src.FrameBytes()) / 1e9
	perMin := 60 / window.Seconds()
	var parts []string
	for i, t := range tools {
		c := medianOf(cpu[i])
		b.ReportMetric(c/gb, metricName(t.name)+"-cpu-s/GB")
		parts = append(parts, fmt.Sprintf("%s %.2f CPU-s/GB (%.2f CPU-s per minute)", t.name, c/gb, c*perMin))
	}
	vsFFmpeg := medianOf(cpu[0]) / medianOf(cpu[2])
	vsMotion := medianOf(cpu[0]) / medianOf(cpu[3])
	b.ReportMetric(vsFFmpeg, "cpu-vs-ffmpeg")
	b.ReportMetric(vsMotion, "cpu-vs-motion")
	benchFigure(b, "I3", "ingest at 720p 30 fps: unicam's CPU per GB over ffmpeg's (goal ≤ 0.5×)", vsFFmpeg <= 0.5,
		"**%.2f×**: %s (all four at once on one %d-byte-per-frame stream, CPU over %v once streaming; medians of %d)",
		vsFFmpeg, strings.Join(parts, "; "), src.FrameBytes(), window, benchRuns)
	benchFigure(b, "M1", "Debian's motion (network camera, movie passthrough) next to unicam: CPU per recorded minute (no goal set)", true,
		"unicam **%.2f** CPU-s per recorded minute, motion %.2f: unicam uses **%.2f×** motion's CPU (motion decodes every frame to look for movement; unicam does not)",
		medianOf(cpu[0])*perMin, medianOf(cpu[3])*perMin, vsMotion)
}
