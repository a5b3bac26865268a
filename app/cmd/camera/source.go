package main

import (
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"

	"unicam/app/capture"
)

// newSource builds the frame source -source names.
func newSource(c *config, logger *log.Logger) (capture.Source, error) {
	overlay, err := capture.ParsePosition(c.Camera.Overlay)
	if err != nil {
		return nil, fmt.Errorf("-overlay: %w", err)
	}
	switch {
	case c.Source == "testpattern":
		p := &capture.TestPattern{Width: c.Width, Height: c.Height, FPS: c.FPS, Quality: c.Quality,
			Overlay: overlay, Sequence: c.Camera.Sequence}
		return p, p.Validate()
	case strings.HasPrefix(c.Source, "/dev/"):
		if c.Quality < 1 || c.Quality > 100 {
			return nil, fmt.Errorf("-quality %d: want 1..100", c.Quality)
		}
		return &capture.V4L2Camera{Device: c.Source, Width: c.Width, Height: c.Height, FPS: c.FPS,
			Quality: c.Quality, Overlay: overlay, Logger: logger}, nil
	case strings.HasPrefix(c.Source, "http://") || strings.HasPrefix(c.Source, "https://"):
		return newHTTPCamera(c, logger)
	}
	return nil, fmt.Errorf("-source %q: want testpattern, an http:// or https:// URL, or a /dev/video device", c.Source)
}

func newHTTPCamera(c *config, logger *log.Logger) (capture.Source, error) {
	u, err := url.Parse(c.Source)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("-source: not a camera URL (want http://host/path)")
	}
	user, pass := c.Camera.User, c.Camera.Password
	// Credentials written into the URL are moved out of it, so the URL can
	// be shown and logged.
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	if c.Camera.PasswordFile != "" {
		b, err := os.ReadFile(c.Camera.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("-camera-password-file: %w", err)
		}
		pass = strings.TrimSpace(string(b))
	}
	auth, err := capture.ParseAuthMode(c.Camera.Auth)
	if err != nil {
		return nil, fmt.Errorf("-camera-auth: %w", err)
	}
	if c.Camera.MaxFrame < 1024 {
		return nil, fmt.Errorf("-max-frame %d: want at least 1KiB", c.Camera.MaxFrame)
	}
	return &capture.HTTPCamera{URL: u, User: user, Password: pass, Auth: auth, Snapshot: c.Camera.Snapshot,
		FPS: c.FPS, MaxFrame: int(c.Camera.MaxFrame), Logger: logger}, nil
}
