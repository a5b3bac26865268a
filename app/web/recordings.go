package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"unicam/app/rotation"
)

// PageSize is how many recordings one list page shows.
const PageSize = 50

// day is one date's recordings on the list page.
type day struct {
	Date string
	Segs []rotation.Segment
}

type indexData struct {
	Title       string
	Days        []day
	Page, Pages int
	Total       int
	TotalBytes  int64
	Prev, Next  int
}

// index lists recordings newest first, grouped by day, PageSize a page.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	all := s.opt.Recordings.List()
	page, pages := pageOf(r, len(all), PageSize)
	d := indexData{Title: "Recordings", Page: page, Pages: pages, Total: len(all)}
	for _, seg := range all {
		d.TotalBytes += seg.Size
	}
	lo := (page - 1) * PageSize
	for _, seg := range all[lo:min(lo+PageSize, len(all))] {
		date := seg.Start.Format("Monday 2 January 2006")
		if n := len(d.Days); n == 0 || d.Days[n-1].Date != date {
			d.Days = append(d.Days, day{Date: date})
		}
		d.Days[len(d.Days)-1].Segs = append(d.Days[len(d.Days)-1].Segs, seg)
	}
	if page > 1 {
		d.Prev = page - 1
	}
	if page < pages {
		d.Next = page + 1
	}
	s.render(w, "index", d)
}

// pageOf reads ?page=N (1-based) and clamps it.
func pageOf(r *http.Request, n, size int) (page, pages int) {
	pages = max((n+size-1)/size, 1)
	page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	return min(max(page, 1), pages), pages
}

// segment finds the recording named in the path, or answers 404.
func (s *Server) segment(w http.ResponseWriter, r *http.Request) (rotation.Segment, bool) {
	name := r.PathValue("name")
	if !isSegmentName(name) {
		http.NotFound(w, r)
		return rotation.Segment{}, false
	}
	seg, ok := s.opt.Recordings.Lookup(name)
	if !ok {
		http.NotFound(w, r)
	}
	return seg, ok
}

// download serves one recording with Range, ETag and a file name, through
// http.ServeContent on the open file (sendfile for plain HTTP).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	seg, ok := s.segment(w, r)
	if !ok {
		return
	}
	f, err := s.opt.Files.Open(seg.Name)
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
	noStore(w)
	w.Header().Set("Content-Type", contentType(seg.Name))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", downloadName(seg)))
	if !seg.Recording {
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
	}
	if strings.Count(r.Header.Get("Range"), ",") >= maxRanges {
		// Each part carries its own headers: many tiny ranges would make
		// the answer larger than the file. The whole file is a valid
		// answer to any Range request.
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// maxRanges is the most byte ranges one request may ask for.
const maxRanges = 16

// contentType is the MIME type of a segment file by its extension.
func contentType(name string) string {
	switch n := strings.TrimSuffix(name, rotation.PartialSuffix); {
	case strings.HasSuffix(n, ".mjpeg"):
		return "video/x-motion-jpeg"
	case strings.HasSuffix(n, ".avi"):
		return "video/x-msvideo"
	}
	return "video/x-matroska"
}

// downloadName is the name a browser saves: a recording still being
// written is saved as the file it will become.
func downloadName(s rotation.Segment) string {
	return strings.TrimSuffix(s.Name, rotation.PartialSuffix)
}

// msParam reads ?t=MS, the position in a recording.
func msParam(r *http.Request) int64 {
	t, _ := strconv.ParseInt(r.URL.Query().Get("t"), 10, 64)
	return max(t, 0)
}

// seekable opens a finished Matroska recording for frame reads.
func (s *Server) seekable(w http.ResponseWriter, r *http.Request) (io.ReaderAt, int64, func(), bool) {
	seg, ok := s.segment(w, r)
	if !ok {
		return nil, 0, nil, false
	}
	if seg.Recording || !strings.HasSuffix(seg.Name, ".mkv") {
		http.Error(w, "only finished .mkv recordings can be played in the browser; download this one", http.StatusConflict)
		return nil, 0, nil, false
	}
	f, err := s.opt.Files.Open(seg.Name)
	if err != nil {
		http.NotFound(w, r)
		return nil, 0, nil, false
	}
	return f, seg.Size, func() { f.Close() }, true
}

// frame serves the first frame at or after ?t=MS: thumbnails, and the
// picture of a paused player.
func (s *Server) frame(w http.ResponseWriter, r *http.Request) {
	f, size, done, ok := s.seekable(w, r)
	if !ok {
		return
	}
	defer done()
	var jpg []byte
	err := rotation.ReadFrames(f, size, msParam(r), func(_ int64, b []byte) bool {
		jpg = b
		return false
	})
	if err != nil || jpg == nil {
		http.NotFound(w, r)
		return
	}
	noStore(w)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(jpg)
}

// play streams a recording from ?t=MS as multipart MJPEG, paced by the
// frames' capture times divided by ?speed= (1, 2, 4 or 8).
func (s *Server) play(w http.ResponseWriter, r *http.Request) {
	speed, _ := strconv.Atoi(r.URL.Query().Get("speed"))
	if speed != 2 && speed != 4 && speed != 8 {
		speed = 1
	}
	f, size, done, ok := s.seekable(w, r)
	if !ok {
		return
	}
	defer done()
	mw := newMultipart(w)
	var first int64 = -1
	start := time.Now()
	rotation.ReadFrames(f, size, msParam(r), func(ms int64, jpg []byte) bool {
		if first < 0 {
			first = ms
		}
		due := start.Add(time.Duration(ms-first) * time.Millisecond / time.Duration(speed))
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(time.Until(due)):
		}
		return mw.part(jpg, fmt.Sprintf("X-Timestamp-Ms: %d\r\n", ms)) == nil
	})
}

type playerData struct {
	Title string
	Seg   rotation.Segment
	MS    int64
}

// player is the page that plays one recording with seek and speeds.
func (s *Server) player(w http.ResponseWriter, r *http.Request) {
	seg, ok := s.segment(w, r)
	if !ok {
		return
	}
	s.render(w, "player", playerData{Title: seg.Name, Seg: seg, MS: seg.Duration().Milliseconds()})
}
