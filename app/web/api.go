package web

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"

	"unicam/app/rotation"
)

type recordingsPage struct {
	Page       int         `json:"page"`
	PerPage    int         `json:"per_page"`
	Total      int         `json:"total"`
	Recordings []recording `json:"recordings"`
}

type recording struct {
	Name      string  `json:"name"`
	Start     string  `json:"start"`
	End       string  `json:"end,omitempty"`
	Duration  float64 `json:"duration_s"`
	Frames    int64   `json:"frames"`
	Size      int64   `json:"size"`
	Recording bool    `json:"recording"`
	URL       string  `json:"url"`
}

func toRecording(s rotation.Segment) recording {
	r := recording{Name: s.Name, Start: s.Start.Format("2006-01-02T15:04:05.000Z07:00"), Duration: s.Duration().Seconds(),
		Frames: s.Frames, Size: s.Size, Recording: s.Recording, URL: "/recordings/" + s.Name}
	if !s.End.IsZero() {
		r.End = s.End.Format("2006-01-02T15:04:05.000Z07:00")
	}
	return r
}

// apiList is /api/recordings?page=N&per_page=M, newest first.
func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	all := s.opt.Recordings.List()
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per < 1 || per > 1000 {
		per = 100
	}
	page, _ := pageOf(r, len(all), per)
	lo := (page - 1) * per
	out := recordingsPage{Page: page, PerPage: per, Total: len(all), Recordings: []recording{}}
	for _, seg := range all[lo:min(lo+per, len(all))] {
		out.Recordings = append(out.Recordings, toRecording(seg))
	}
	writeJSON(w, out)
}

func (s *Server) apiRecording(w http.ResponseWriter, r *http.Request) {
	if seg, ok := s.segment(w, r); ok {
		writeJSON(w, toRecording(seg))
	}
}

// apiDelete removes a finished recording. It is reached only with DELETE,
// authenticated, and past the cross-origin protection.
func (s *Server) apiDelete(w http.ResponseWriter, r *http.Request) {
	seg, ok := s.segment(w, r)
	if !ok {
		return
	}
	if seg.Recording {
		http.Error(w, "recording in progress; it can be deleted once finished", http.StatusConflict)
		return
	}
	if err := s.opt.Deleter.Delete(seg.Name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "delete failed", http.StatusInternalServerError)
		s.log.Printf("web: delete %s: %v", seg.Name, err)
		return
	}
	s.log.Printf("web: deleted %s at the request of %s", seg.Name, clientAddr(r))
	w.WriteHeader(http.StatusNoContent)
}
