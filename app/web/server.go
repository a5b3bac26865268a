// Package web is unicam's web interface: recordings listed, downloaded
// and played in the browser, the live picture, status, metrics and a JSON
// API, all behind a login. It reads recordings and frames through
// interfaces and never writes a segment itself.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"unicam/app/capture"
	"unicam/app/rotation"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Recordings is the read side of the recording catalog.
type Recordings interface {
	// List returns the segments newest first.
	List() []rotation.Segment
	// Lookup finds a segment by file name.
	Lookup(name string) (rotation.Segment, bool)
}

// Deleter removes a finished recording (the recorder does the deleting).
type Deleter interface {
	Delete(name string) error
}

// Live is the source of live frames: the capture hub.
type Live interface {
	Subscribe(buffer int) *capture.Subscription
	Last() *capture.Frame
}

// Options wires the server to the rest of the app.
type Options struct {
	Recordings Recordings
	// Files is the data directory; only catalog names are opened in it.
	Files   *os.Root
	Deleter Deleter
	Live    Live
	// Status assembles the status page and /api/status.
	Status func() Status
	// Credentials guard every route.
	Credentials *Credentials
	// TLS marks session cookies Secure.
	TLS bool
	// MaxViewers caps concurrent live streams (default 10).
	MaxViewers int
	Logger     *log.Logger
}

// Server serves the web interface. Build it with New.
type Server struct {
	opt     Options
	auth    *auth
	pages   map[string]*template.Template
	files   fs.FS
	log     *log.Logger
	viewers atomic.Int64
}

// New parses the pages and returns a server.
func New(o Options) (*Server, error) {
	if o.Credentials == nil {
		return nil, fmt.Errorf("%w: no credentials: authentication is always on", ErrBadPassword)
	}
	if o.MaxViewers <= 0 {
		o.MaxViewers = 10
	}
	if o.Logger == nil {
		o.Logger = log.Default()
	}
	s := &Server{opt: o, auth: newAuth(o.Credentials, o.TLS), files: o.Files.FS(), log: o.Logger, pages: map[string]*template.Template{}}
	for _, p := range []string{"index", "login", "player", "live", "status"} {
		t, err := template.New("base.html").Funcs(funcs).ParseFS(assets, "templates/base.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", p, err)
		}
		s.pages[p] = t
	}
	return s, nil
}

var funcs = template.FuncMap{
	"bytes": HumanBytes,
	"when":  func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
	"length": func(s rotation.Segment) string {
		if d := s.Duration(); d > 0 {
			return d.Round(time.Second).String()
		}
		return "–"
	},
	"int64": func(u uint64) int64 { return int64(u) },
	// playable: finished Matroska recordings play in the browser.
	"playable": func(s rotation.Segment) bool { return !s.Recording && strings.HasSuffix(s.Name, ".mkv") },
}

// Handler routes every request on an explicit mux, behind the security
// headers, cross-origin protection and authentication.
func (s *Server) Handler() http.Handler {
	private := http.NewServeMux()
	private.HandleFunc("GET /{$}", s.index)
	private.HandleFunc("GET /recordings/{name}", s.download)
	private.HandleFunc("GET /recordings/{name}/frame.jpg", s.frame)
	private.HandleFunc("GET /recordings/{name}/play.mjpg", s.play)
	private.HandleFunc("GET /play/{name}", s.player)
	private.HandleFunc("GET /live", s.livePage)
	private.HandleFunc("GET /stream.mjpg", s.stream)
	private.HandleFunc("GET /snapshot.jpg", s.snapshot)
	private.HandleFunc("GET /status", s.statusPage)
	private.HandleFunc("GET /api/status", s.apiStatus)
	private.HandleFunc("GET /api/recordings", s.apiList)
	private.HandleFunc("GET /api/recordings/{name}", s.apiRecording)
	private.HandleFunc("DELETE /api/recordings/{name}", s.apiDelete)
	private.HandleFunc("GET /metrics", s.metrics)
	private.HandleFunc("POST /logout", s.logout)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("GET /static/", http.FileServerFS(assets))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/", s.auth.require(private))
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// securityHeaders sets what every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// render executes a page; a failure is logged (the response has begun).
func (s *Server) render(w http.ResponseWriter, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.pages[page].Execute(w, data); err != nil {
		s.log.Printf("web: render %s: %v", page, err)
	}
}

// HumanBytes formats n in binary units, as the list shows sizes.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// noStore marks video and picture responses uncacheable.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// isSegmentName checks a path value against the segment name pattern
// before anything looks it up.
func isSegmentName(name string) bool {
	_, ok := rotation.ParseName(name, time.UTC)
	return ok && !strings.ContainsAny(name, "/\\")
}
