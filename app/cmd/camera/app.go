package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"unicam/app/capture"
	"unicam/app/rotation"
	"unicam/app/web"
)

// recorderBuffer is how many frames the recorder may fall behind the
// source before frames are dropped for it (a few seconds at usual rates).
const recorderBuffer = 64

// run wires source → hub → recorder and web, until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	logger := log.New(stderr, "", log.LstdFlags)
	if len(args) > 0 && args[0] == LenientFlag {
		args = dropRejected(args[1:], logger)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	src, err := newSource(cfg, logger)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	rcfg, err := rotationConfig(cfg, logger)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	rec, err := rotation.New(rcfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	defer rec.Close()
	hub := capture.NewHub()
	srv, err := newWeb(cfg, src, hub, rec, logger)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	ln, err := listen(cfg, logger)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.Web.TLS == "on" {
		scheme = "https"
	}
	logger.Printf("camera: %s recording into %s, web interface on %s://%s/", src.Name(), cfg.Data, scheme, ln.Addr())
	return serve(ctx, cfg, src, hub, rec, srv, ln, logger)
}

func serve(ctx context.Context, cfg *config, src capture.Source, hub *capture.Hub, rec *rotation.Recorder, srv *web.Server, ln net.Listener, logger *log.Logger) error {
	sub := hub.Subscribe(recorderBuffer)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	srcCtx, stopSource := context.WithCancel(ctx)
	defer stopSource()
	g := new(errgroup.Group)
	g.Go(func() error {
		defer sub.Cancel()
		return src.Run(srcCtx, hub.Publish)
	})
	g.Go(func() error {
		if cfg.Web.RecordingDisabled != "" {
			logger.Printf("camera: recording disabled: %s", cfg.Web.RecordingDisabled)
			for f := range sub.C {
				f.Release()
			}
			return nil
		}
		// The recorder drains until the source stops, so the last frames
		// land in the segment it finishes.
		return rec.Run(context.Background(), sub.C)
	})
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			stopSource()
			return fmt.Errorf("web server: %w", err)
		}
		return nil
	})
	g.Go(func() error { heartbeat(srcCtx, cfg, rec); return nil })
	if d := cfg.Web.FreezeAfter; d > 0 {
		time.AfterFunc(d, func() {
			logger.Printf("camera: freeze-after %v: test hook: stopping myself", d)
			syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		})
	}
	if d := cfg.Web.ExitAfter; d > 0 {
		g.Go(func() error {
			select {
			case <-srcCtx.Done():
				return nil
			case <-time.After(d):
				stopSource()
				return fmt.Errorf("exit-after %v: test hook", d)
			}
		})
	}
	g.Go(func() error {
		<-srcCtx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	})
	err := g.Wait()
	logger.Printf("camera: stopped")
	return err
}

// rotationConfig turns the recording flags into the recorder's config.
func rotationConfig(c *config, logger *log.Logger) (rotation.Config, error) {
	loc, err := time.LoadLocation(c.Storage.TimeZone)
	if err != nil {
		return rotation.Config{}, fmt.Errorf("-timezone %q: %w (want Local, UTC or a name such as Europe/Bucharest)", c.Storage.TimeZone, err)
	}
	free, err := rotation.ParseSpace(c.Storage.MinFree)
	if err != nil {
		return rotation.Config{}, fmt.Errorf("-min-free: %w", err)
	}
	return rotation.Config{
		Dir: c.Data, Container: c.Storage.Container, Segment: c.Segment, Align: c.Storage.Align,
		SegmentBytes: int64(c.Storage.SegmentBytes), MaxBytes: int64(c.MaxBytes), MaxSegments: c.Storage.MaxSegments,
		MaxAge: c.Storage.MaxAge, MinFree: free, FlushInterval: c.Flush, Location: loc, Logger: logger,
	}, nil
}

// heartbeat touches the heartbeat file every second while the recorder's loop
// runs (or, with recording disabled, while the app runs), until ctx ends.
func heartbeat(ctx context.Context, c *config, rec *rotation.Recorder) {
	if c.Web.Heartbeat == "" {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if c.Web.RecordingDisabled != "" || rec.Alive(3*time.Second) {
			now := time.Now()
			if os.Chtimes(c.Web.Heartbeat, now, now) != nil {
				os.WriteFile(c.Web.Heartbeat, nil, 0o644)
			}
		}
	}
}
