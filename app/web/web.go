// Package web is unicam's web interface: the list of recordings and their
// downloads. It reads recordings through interfaces and never writes them.
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
	"time"

	"unicam/app/rotation"
)

//go:embed templates/*.html
var templates embed.FS

// Recordings is the read side of the recording catalog.
type Recordings interface {
	// List returns the segments newest first.
	List() []rotation.Segment
	// Lookup finds a segment by file name.
	Lookup(name string) (rotation.Segment, bool)
}

// Server serves the web interface. Build it with New.
type Server struct {
	recs  Recordings
	files fs.FS
	page  *template.Template
	log   *log.Logger
}

// New returns a server listing recs and serving their files from dir.
func New(recs Recordings, dir *os.Root, logger *log.Logger) (*Server, error) {
	page, err := template.New("index.html").Funcs(template.FuncMap{
		"bytes": HumanBytes,
		"when":  func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
		"length": func(s rotation.Segment) string {
			if d := s.Duration(); d > 0 {
				return d.Round(time.Second).String()
			}
			return "–"
		},
	}).ParseFS(templates, "templates/index.html")
	if err != nil {
		return nil, fmt.Errorf("parse page templates: %w", err)
	}
	if logger == nil {
		logger = log.Default()
	}
	return &Server{recs: recs, files: dir.FS(), page: page, log: logger}, nil
}

// Handler routes every request on an explicit mux.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /recordings/{name}", s.download)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	return mux
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.Execute(w, s.recs.List()); err != nil {
		s.log.Printf("web: render list: %v", err)
	}
}

// download serves one recording with Range support. Only names in the
// catalog are served, so no request can reach another file.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	seg, ok := s.recs.Lookup(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, err := s.files.Open(seg.Name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "recording unreadable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType(seg.Name))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", downloadName(seg)))
	if seg.Recording {
		w.Header().Set("Cache-Control", "no-store")
	}
	http.ServeContent(w, r, "", fi.ModTime(), f.(readSeeker))
}

// contentType is the MIME type of a segment file by its extension.
func contentType(name string) string {
	if strings.HasSuffix(strings.TrimSuffix(name, rotation.PartialSuffix), ".mjpeg") {
		return "video/x-motion-jpeg"
	}
	return "video/x-matroska"
}

type readSeeker interface {
	Read([]byte) (int, error)
	Seek(int64, int) (int64, error)
}

// downloadName is the name a browser saves: a recording still being
// written is saved as the .mkv it will become.
func downloadName(s rotation.Segment) string {
	return strings.TrimSuffix(s.Name, rotation.PartialSuffix)
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
