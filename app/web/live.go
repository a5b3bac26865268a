package web

import (
	"fmt"
	"net/http"
	"time"

	"unicam/app/capture"
)

// writeDeadline bounds one write to a viewer; a stalled viewer is dropped
// instead of slowing anyone.
const writeDeadline = 10 * time.Second

// mjpegWriter writes a multipart/x-mixed-replace stream of JPEGs with a
// deadline on every write.
type mjpegWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

const boundary = "unicamframe"

func newMultipart(w http.ResponseWriter) *mjpegWriter {
	noStore(w)
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	return &mjpegWriter{w: w, rc: http.NewResponseController(w)}
}

func (m *mjpegWriter) part(jpg []byte, extra string) error {
	m.rc.SetWriteDeadline(time.Now().Add(writeDeadline))
	if _, err := fmt.Fprintf(m.w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n%s\r\n", boundary, len(jpg), extra); err != nil {
		return err
	}
	if _, err := m.w.Write(jpg); err != nil {
		return err
	}
	if _, err := m.w.Write([]byte("\r\n")); err != nil {
		return err
	}
	return m.rc.Flush()
}

// stream is the live picture as multipart MJPEG. Each viewer has its own
// two-frame buffer on the hub: one that falls behind misses frames, and
// never slows the recorder or other viewers.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if s.viewers.Add(1) > int64(s.opt.MaxViewers) {
		s.viewers.Add(-1)
		http.Error(w, fmt.Sprintf("too many live viewers (at most %d)", s.opt.MaxViewers), http.StatusServiceUnavailable)
		return
	}
	defer s.viewers.Add(-1)
	sub := s.opt.Live.Subscribe(2)
	defer sub.Cancel()
	mw := newMultipart(w)
	if f := s.opt.Live.Last(); f != nil {
		if sendPart(mw, f) != nil {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case f, ok := <-sub.C:
			if !ok || sendPart(mw, f) != nil {
				return
			}
		}
	}
}

// sendPart writes f as the next part and releases it.
func sendPart(mw *mjpegWriter, f *capture.Frame) error {
	defer f.Release()
	return mw.part(f.JPEG, "")
}

// snapshot is the latest live frame.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	f := s.opt.Live.Last()
	if f == nil {
		http.Error(w, "no frame from the camera yet", http.StatusServiceUnavailable)
		return
	}
	defer f.Release()
	noStore(w)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Last-Modified", f.Time.UTC().Format(http.TimeFormat))
	w.Write(f.JPEG)
}

func (s *Server) livePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, "live", map[string]any{"Title": "Live"})
}
