package rotation

import (
	"fmt"
	"io"
	"time"

	"unicam/app/capture"
)

// mjpegWriter writes the original Rump Camera format: JPEGs back to back,
// no container. Every player that reads MJPEG opens it, but it holds no
// timestamps (players assume 25 fps) and no index.
type mjpegWriter struct {
	w             File
	start, last   time.Time
	buf           []byte
	size_         int64
	frames        int64
	pendingFrames int64
}

func createMJPEG(f File, start time.Time, _, _ int) (container, error) {
	return &mjpegWriter{w: f, start: start, last: start}, nil
}

func (m *mjpegWriter) add(t time.Time, jpeg []byte) {
	m.buf = append(m.buf, jpeg...)
	m.pendingFrames++
	if t.After(m.last) {
		m.last = t
	}
}

func (m *mjpegWriter) needsCut(time.Time) bool { return false }
func (m *mjpegWriter) pending() int64          { return int64(len(m.buf)) }
func (m *mjpegWriter) reserve() int64          { return 0 }
func (m *mjpegWriter) size() int64             { return m.size_ }
func (m *mjpegWriter) frameCount() int64       { return m.frames }
func (m *mjpegWriter) discard()                { m.buf, m.pendingFrames = m.buf[:0], 0 }
func (m *mjpegWriter) close() error            { return m.flush() }

func (m *mjpegWriter) end() time.Time {
	if m.frames <= 1 {
		return m.last
	}
	return m.last.Add(m.last.Sub(m.start) / time.Duration(m.frames-1))
}

func (m *mjpegWriter) flush() error {
	if len(m.buf) == 0 {
		return nil
	}
	if _, err := m.w.Write(m.buf); err != nil {
		return fmt.Errorf("write frames: %w", err)
	}
	m.size_ += int64(len(m.buf))
	m.frames += m.pendingFrames
	m.discard()
	return nil
}

// repairMJPEG keeps the complete JPEGs at the start of the file and cuts
// off the rest.
func repairMJPEG(f File, size int64, start time.Time) (container, error) {
	fr := capture.NewFrameReader(io.NewSectionReader(f, 0, size), 0)
	m := &mjpegWriter{w: f, start: start, last: start}
	for {
		b, err := fr.Next()
		if err != nil || fr.Skipped > 0 {
			break
		}
		m.size_ += int64(len(b))
		m.frames++
	}
	if err := f.Truncate(m.size_); err != nil {
		return nil, fmt.Errorf("truncate to the last complete frame: %w", err)
	}
	_, err := f.Seek(m.size_, io.SeekStart)
	return m, err
}

// infoMJPEG knows nothing beyond the name: raw MJPEG has no timestamps.
func infoMJPEG(io.ReaderAt, int64, time.Time) (time.Time, int64, error) {
	return time.Time{}, 0, nil
}
