package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"unicam/app/capture"
	"unicam/app/rotation"
	"unicam/app/web"
)

// Version is the app's version, shown on the status page.
const Version = "0.1.0"

// newWeb builds the web server: credentials (generated and printed once
// when none are configured), status, and the listener (TLS when asked).
func newWeb(c *config, src capture.Source, hub *capture.Hub, rec *rotation.Recorder, logger *log.Logger) (*web.Server, error) {
	pw := c.Web.Password
	if c.Web.PasswordFile != "" {
		b, err := os.ReadFile(c.Web.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("-password-file: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	creds, generated, err := web.LoadCredentials(c.Web.User, pw, c.Web.PasswordHash, c.Data)
	if err != nil {
		return nil, err
	}
	if generated != "" {
		logger.Printf("web: ***** first start: log in as %q with password %s (shown once; stored hashed in %s; set -password to choose one) *****",
			creds.User, generated, filepath.Join(c.Data, web.PasswordFile))
	}
	return web.New(web.Options{
		Recordings: rec.Catalog(), Files: rec.Root(), Deleter: rec, Live: hub,
		Status: statusFunc(c, src, rec), Credentials: creds, TLS: c.Web.TLS == "on",
		MaxViewers: c.Web.MaxViewers, Logger: logger,
	})
}

// listen opens the web listener, wrapped in TLS when -tls=on.
func listen(c *config, logger *log.Logger) (net.Listener, error) {
	if c.Web.TLS != "off" && c.Web.TLS != "on" {
		return nil, fmt.Errorf("%w: -tls %q: accepted values: off, on", ErrUsage, c.Web.TLS)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	if c.Web.TLS == "off" {
		return ln, nil
	}
	dir := c.Web.TLSDir
	if dir == "" {
		dir = filepath.Join(c.Data, ".unicam", "tls")
	}
	host, _ := os.Hostname()
	cert, fp, created, err := web.LoadOrCreateCert(dir, host)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if created {
		logger.Printf("web: created a self-signed certificate in %s", dir)
	}
	logger.Printf("web: HTTPS certificate SHA-256 fingerprint %s", fp)
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// statusFunc assembles the status page from the source, the recorder and
// the runtime's boot record.
func statusFunc(c *config, src capture.Source, rec *rotation.Recorder) func() web.Status {
	started, booted := time.Now(), bootTime()
	settings := []web.Setting{
		{Key: "Container", Value: c.Storage.Container}, {Key: "Segment length", Value: c.Segment.String()},
		{Key: "Byte cap", Value: web.HumanBytes(int64(c.MaxBytes))},
		{Key: "Max recordings", Value: zeroIsNone(fmt.Sprint(c.Storage.MaxSegments))},
		{Key: "Max age", Value: zeroIsNone(c.Storage.MaxAge.String())}, {Key: "Min free", Value: zeroIsNone(c.Storage.MinFree)},
	}
	return func() web.Status {
		st := web.Status{Version: Version, Started: started, Booted: booted, Retention: settings}
		if r, ok := src.(capture.StatusReporter); ok {
			st.Camera = r.Status()
		}
		cat := rec.Catalog()
		st.Recording = web.RecordingStatus{Segments: cat.Len(), Bytes: cat.TotalBytes(), Dropped: rec.Dropped(),
			Failures: rec.Failures(), LastError: rec.LastError()}
		if c.Web.RecordingDisabled != "" {
			st.Recording.LastError = "recording disabled: " + c.Web.RecordingDisabled
		}
		if segs := cat.List(); len(segs) > 0 && segs[0].Recording {
			st.Recording.Current = segs[0].Name
		}
		st.Disk.Path = c.Data
		st.Disk.Free, st.Disk.Total, _ = rec.Free()
		if b, err := os.ReadFile(c.Web.BootJSON); err == nil {
			json.Unmarshal(b, &st.Boot)
		}
		if b, err := os.ReadFile(c.Web.SupervisorJSON); err == nil {
			json.Unmarshal(b, &st.App)
		}
		if b, err := os.ReadFile(c.Web.AppLog); err == nil {
			st.Log = tail(string(b), 60)
		}
		return st
	}
}

func zeroIsNone(s string) string {
	if s == "0" || s == "0s" {
		return "none"
	}
	return s
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
