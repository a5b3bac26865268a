package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicam/app/rotation"
)

// ErrUsage marks bad command-line input; the exit code is 2 for it.
var ErrUsage = errors.New("usage")

// config is every setting of the camera app, filled from flags.
type config struct {
	Data     string
	Listen   string
	Source   string
	Width    int
	Height   int
	FPS      float64
	Quality  int
	Segment  time.Duration
	MaxBytes byteSize
	Flush    time.Duration
	Camera   cameraConfig
	Storage  storageConfig
	Web      webConfig
}

// webConfig holds the web interface's login and transport settings.
type webConfig struct {
	User, Password, PasswordFile, PasswordHash string
	TLS, TLSDir                                string
	MaxViewers                                 int
	BootJSON, SupervisorJSON, AppLog           string
	// RecordingDisabled, when set, is why nothing is recorded (the
	// runtime found no data disk); live view and status still work.
	RecordingDisabled string
	// ExitAfter is a test hook: stop cleanly and exit 1 after this long,
	// as a crash would, so tests see the runtime restart the app.
	ExitAfter time.Duration
	// FreezeAfter is a test hook: SIGSTOP the app after this long, as a
	// wedged process would, so tests see the watchdog reset the machine.
	FreezeAfter time.Duration
	// Heartbeat is touched while the recorder's loop runs.
	Heartbeat string
}

// storageConfig holds the recording format and retention settings.
type storageConfig struct {
	Container    string
	Align        bool
	TimeZone     string
	SegmentBytes byteSize
	MaxSegments  int
	MaxAge       time.Duration
	MinFree      string
}

// cameraConfig holds the settings of real cameras.
type cameraConfig struct {
	User, Password, PasswordFile string
	Auth                         string
	Snapshot                     bool
	MaxFrame                     byteSize
	Overlay                      string
	Sequence                     bool
}

// byteSize is a flag value such as 800MiB, 2G or 1048576.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := rotation.ParseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// parseFlags turns args into a config; errors wrap ErrUsage.
func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{MaxBytes: 1 << 30}
	fs := flag.NewFlagSet("camera", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Data, "data", "./data", "directory for recordings")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address of the web interface")
	fs.StringVar(&c.Source, "source", "testpattern", "frame source: testpattern, an http(s):// MJPEG or snapshot URL, or a V4L2 device such as /dev/video0")
	fs.IntVar(&c.Width, "width", 640, "picture width in pixels (test pattern, V4L2: nearest supported)")
	fs.IntVar(&c.Height, "height", 360, "picture height in pixels (test pattern, V4L2: nearest supported)")
	fs.Float64Var(&c.FPS, "fps", 5, "frames per second (test pattern, V4L2, snapshot polling)")
	fs.IntVar(&c.Quality, "quality", 75, "JPEG quality 1..100 where unicam encodes (test pattern, V4L2 YUYV)")
	fs.StringVar(&c.Camera.User, "camera-user", "", "IP camera user name")
	fs.StringVar(&c.Camera.Password, "camera-password", "", "IP camera password (prefer -camera-password-file)")
	fs.StringVar(&c.Camera.PasswordFile, "camera-password-file", "", "file holding the IP camera password")
	fs.StringVar(&c.Camera.Auth, "camera-auth", "auto", "IP camera authentication: auto, basic, digest, query (?user=..&pwd=..)")
	fs.BoolVar(&c.Camera.Snapshot, "snapshot", false, "the URL serves one JPEG per request: poll it at -fps")
	c.Camera.MaxFrame = 8 << 20
	fs.Var(&c.Camera.MaxFrame, "max-frame", "largest accepted frame; bigger ones are dropped (default 8MiB)")
	fs.StringVar(&c.Camera.Overlay, "overlay", "top-left", "capture-time overlay where unicam encodes: top-left, top-right, bottom-left, bottom-right, off")
	fs.BoolVar(&c.Camera.Sequence, "sequence", false, "test pattern: write each frame's sequence number into a JPEG comment")
	fs.DurationVar(&c.Segment, "segment", time.Hour, "length of one recording file, e.g. 10m, 1h, 24h")
	fs.Var(&c.MaxBytes, "max-bytes", "cap on the total size of recordings; the oldest are deleted first (e.g. 800MiB, 20G)")
	fs.DurationVar(&c.Flush, "flush", 500*time.Millisecond, "longest time video stays only in memory (at most this much is lost at power loss)")
	fs.StringVar(&c.Storage.Container, "container", "mkv", "recording format: mkv (Matroska, timestamps, index), avi (OpenDML) or mjpeg (raw, as Rump Camera)")
	fs.BoolVar(&c.Storage.Align, "align", false, "start segments on the clock: hourly files on the hour, daily at midnight")
	fs.StringVar(&c.Storage.TimeZone, "timezone", "Local", "time zone of file names and -align, e.g. Europe/Bucharest")
	fs.Var(&c.Storage.SegmentBytes, "segment-bytes", "also close a segment at this size (0: no limit)")
	fs.IntVar(&c.Storage.MaxSegments, "max-segments", 0, "keep at most this many recordings (0: no limit)")
	fs.DurationVar(&c.Storage.MaxAge, "max-age", 0, "delete recordings older than this, e.g. 720h (0: keep)")
	fs.StringVar(&c.Storage.MinFree, "min-free", "0", "keep this much of the disk free, counting other files: a size (2GiB) or a percentage (10%)")
	fs.StringVar(&c.Web.User, "user", "admin", "web interface user name")
	fs.StringVar(&c.Web.Password, "password", "", "web password (at least 8 characters); unset: generated at first start, stored hashed in the data directory and printed once")
	fs.StringVar(&c.Web.PasswordFile, "password-file", "", "file holding the web password")
	fs.StringVar(&c.Web.PasswordHash, "password-hash", "", "bcrypt hash of the web password (htpasswd -nB)")
	fs.StringVar(&c.Web.TLS, "tls", "off", "HTTPS: off, or on (cert.pem and key.pem from -tls-dir, else a generated self-signed pair)")
	fs.StringVar(&c.Web.TLSDir, "tls-dir", "", "folder of cert.pem and key.pem (default: <data>/.unicam/tls)")
	fs.IntVar(&c.Web.MaxViewers, "max-viewers", 10, "most live viewers at once")
	fs.StringVar(&c.Web.BootJSON, "boot-json", "/run/unicam/boot.json", "boot timings the runtime wrote, shown on the status page")
	fs.StringVar(&c.Web.AppLog, "app-log", "/run/unicam/app.log", "the app's recent output as the runtime keeps it, shown on the status page")
	fs.StringVar(&c.Web.SupervisorJSON, "supervisor-json", "/run/unicam/supervisor.json", "restart record the runtime wrote, shown on the status page")
	fs.DurationVar(&c.Web.FreezeAfter, "freeze-after", 0, "test hook: stop the whole app (SIGSTOP) after this long")
	fs.StringVar(&c.Web.Heartbeat, "heartbeat", "/run/unicam/heartbeat", "file touched every second while recording progresses, for the runtime's watchdog (\"\" for none)")
	fs.DurationVar(&c.Web.ExitAfter, "exit-after", 0, "test hook: finish the open recording and exit with status 1 after this long")
	fs.StringVar(&c.Web.RecordingDisabled, "recording-disabled", "", "do not record, for this reason (shown on the status page); live view still works")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q (settings are flags, see -help)", ErrUsage, fs.Arg(0))
	}
	return c, nil
}

func exitCode(err error) int {
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}
