package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// FrameReader pulls JPEG frames out of a camera's byte stream. It is driven
// by the JPEG structure, not by multipart framing: it finds each SOI and
// follows the markers to EOI, skipping whatever lies between frames
// (boundaries with or without "--", part headers, a Content-Length that
// lies, padding). So multipart/x-mixed-replace, a bare stream of
// concatenated JPEGs and a single snapshot all read the same way.
//
// A frame over MaxFrame bytes is dropped and the reader resyncs at the next
// SOI; memory stays bounded by MaxFrame plus the read buffer.
type FrameReader struct {
	src      io.Reader
	br       *bufio.Reader
	MaxFrame int
	buf      []byte
	// ffRead means entropy() consumed the 0xFF of the marker that follows.
	ffRead bool
	// hint is the Content-Length of the part before this frame, or 0;
	// lengthLies turns the read-by-length fast path off for good once a
	// camera's Content-Length proved wrong.
	hint       int
	lengthLies bool
	// lent means buf is the caller's (see Use), let go of when Next returns.
	lent bool
	// Skipped counts bytes outside frames; Oversized counts dropped frames.
	Skipped, Oversized uint64
	// OnOversized, when set, is called as each oversized frame is dropped,
	// while Next goes on looking for the next frame.
	OnOversized func()
}

const readBuffer = 64 << 10

// DefaultMaxFrame is the frame-size cap unless configured otherwise.
const DefaultMaxFrame = 8 << 20

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &FrameReader{src: r, br: bufio.NewReaderSize(r, readBuffer), MaxFrame: maxFrame}
}

// Use makes the next frame be read into buf's storage, grown when too
// small, so a caller that recycles frame buffers saves a copy. The reader
// lets go of it when Next returns: the slice returned then is the
// caller's to keep.
func (fr *FrameReader) Use(buf []byte) {
	fr.buf, fr.lent = buf[:0], true
}

// Next returns the next complete JPEG. Unless the buffer came from Use,
// the slice is valid until the next call; copy it to keep it. At the end
// of the stream it returns io.EOF (io.ErrUnexpectedEOF when a frame was
// cut off).
func (fr *FrameReader) Next() ([]byte, error) {
	b, err := fr.next()
	if fr.lent {
		fr.buf, fr.lent = nil, false
	}
	return b, err
}

func (fr *FrameReader) next() ([]byte, error) {
	for {
		if err := fr.seekSOI(); err != nil {
			return nil, err
		}
		fr.ffRead = false
		err := fr.readFrame()
		if err == nil {
			return fr.buf, nil
		}
		if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrBadMarker) {
			if errors.Is(err, ErrFrameTooLarge) {
				fr.Oversized++
				// Do not keep megabytes of a frame that was thrown away.
				fr.buf = nil
				if fr.OnOversized != nil {
					fr.OnOversized()
				}
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

// seekSOI discards bytes up to and including the next FF D8.
func (fr *FrameReader) seekSOI() error {
	fr.hint = 0
	for {
		chunk, err := fr.br.ReadSlice(0xFF)
		fr.Skipped += uint64(len(chunk))
		if n, ok := contentLength(chunk); ok {
			fr.hint = n
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return err
		}
		b, err := fr.br.Peek(1)
		if err != nil {
			return err
		}
		if b[0] == markerSOI {
			fr.br.Discard(1)
			fr.Skipped -= 1
			fr.buf = append(fr.buf[:0], 0xFF, markerSOI)
			return nil
		}
	}
}

// readFrame reads markers after SOI up to EOI into fr.buf.
func (fr *FrameReader) readFrame() error {
	for {
		m, err := fr.marker()
		if err != nil {
			return err
		}
		switch {
		case m == markerEOI:
			return nil
		case m == markerSOI || m == 0x00:
			return fmt.Errorf("%w: marker %#02x inside a frame", ErrBadMarker, m)
		case standalone(m):
			continue
		}
		if err := fr.segment(); err != nil {
			return err
		}
		if m == markerSOS {
			if done, err := fr.byLength(); done || err != nil {
				return err
			}
			if err := fr.entropy(); err != nil {
				return err
			}
		}
	}
}

// marker reads FF (fill FFs allowed) and the marker byte, appending both.
func (fr *FrameReader) marker() (byte, error) {
	if !fr.ffRead {
		c, err := fr.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != 0xFF {
			return 0, fmt.Errorf("%w: byte %#02x where a marker belongs", ErrBadMarker, c)
		}
	}
	fr.ffRead = false
	for {
		m, err := fr.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if m != 0xFF {
			return m, fr.add(0xFF, m)
		}
	}
}

// segment copies a length-prefixed marker segment.
func (fr *FrameReader) segment() error {
	// ReadByte, not io.ReadFull into an array: that would escape and
	// allocate once per marker segment.
	hi, err := fr.br.ReadByte()
	if err != nil {
		return err
	}
	lo, err := fr.br.ReadByte()
	if err != nil {
		return err
	}
	n := int(hi)<<8 | int(lo)
	if n < 2 {
		return fmt.Errorf("%w: segment length %d", ErrBadMarker, n)
	}
	if err := fr.add(hi, lo); err != nil {
		return err
	}
	return fr.copyN(n - 2)
}

func (fr *FrameReader) copyN(n int) error {
	if len(fr.buf)+n > fr.MaxFrame {
		return ErrFrameTooLarge
	}
	start := len(fr.buf)
	fr.buf = slices.Grow(fr.buf, n)[:start+n]
	_, err := io.ReadFull(fr.br, fr.buf[start:])
	return err
}

// byLength reads the rest of a frame whose part header gave its length
// straight into buf, skipping the copy through the read buffer and the
// scan of its entropy-coded data, and accepts it when it ends at EOI
// (trailing CR/LF allowed). The segments up to SOS were walked already, so
// the frame is still checked: SOI, segments by their lengths, EOI.
// Otherwise the bytes go back to the stream for the scanner, and the
// camera's lengths are not trusted again.
func (fr *FrameReader) byLength() (bool, error) {
	sos := len(fr.buf)
	if fr.lengthLies || fr.hint > fr.MaxFrame || fr.hint-sos < 2 {
		return false, nil
	}
	fr.buf = slices.Grow(fr.buf, fr.hint-sos)[:fr.hint]
	n, err := io.ReadFull(fr.br, fr.buf[sos:])
	end := sos + n
	for end > sos && (fr.buf[end-1] == '\r' || fr.buf[end-1] == '\n') {
		end--
	}
	if err == nil && end-sos >= 2 && fr.buf[end-2] == 0xFF && fr.buf[end-1] == markerEOI {
		fr.Skipped += uint64(len(fr.buf) - end)
		fr.buf = fr.buf[:end]
		return true, nil
	}
	fr.lengthLies = true
	fr.unread(fr.buf[sos : sos+n])
	fr.buf = fr.buf[:sos]
	return false, nil
}

// unread puts p back in front of the stream. It rebuilds the buffered
// reader, which is fine for the once per camera it happens.
func (fr *FrameReader) unread(p []byte) {
	rest, _ := fr.br.Peek(fr.br.Buffered())
	back := slices.Concat(p, rest)
	fr.src = io.MultiReader(bytes.NewReader(back), fr.src)
	fr.br = bufio.NewReaderSize(fr.src, readBuffer)
}

// contentLength finds a Content-Length header in the bytes between frames.
func contentLength(chunk []byte) (int, bool) {
	const key = "content-length:"
	for i := 0; i+len(key) <= len(chunk); i++ {
		c := chunk[i] | 0x20
		if c != 'c' || !bytes.EqualFold(chunk[i:i+len(key)], []byte(key)) {
			continue
		}
		v := bytes.TrimLeft(chunk[i+len(key):], " \t")
		n, digits := 0, 0
		for ; digits < len(v) && digits < 10 && v[digits] >= '0' && v[digits] <= '9'; digits++ {
			n = n*10 + int(v[digits]-'0')
		}
		return n, digits > 0
	}
	return 0, false
}

// entropy copies entropy-coded data up to the marker that ends it; that
// marker's 0xFF is consumed here and noted in ffRead. It scans the reader's
// buffer in place and appends whole spans, since stuffed 0xFF00 bytes are
// frequent in real pictures.
func (fr *FrameReader) entropy() error {
	for {
		// Two bytes at least, so an 0xFF at the end can be classified.
		if _, err := fr.br.Peek(2); err != nil {
			return err
		}
		win, _ := fr.br.Peek(fr.br.Buffered())
		end, found := scanEntropy(win)
		if len(fr.buf)+end > fr.MaxFrame {
			return ErrFrameTooLarge
		}
		fr.buf = appendDoubling(fr.buf, win[:end], fr.MaxFrame)
		if found {
			fr.br.Discard(end + 1)
			fr.ffRead = true
			return nil
		}
		fr.br.Discard(end)
	}
}

// scanEntropy finds the 0xFF of the marker ending entropy-coded data in
// win. Without one it returns how many bytes are surely data (an 0xFF at
// the very end stays for the next window).
func scanEntropy(win []byte) (int, bool) {
	i := 0
	for {
		j := bytes.IndexByte(win[i:], 0xFF)
		if j < 0 {
			return len(win), false
		}
		i += j
		if i+1 >= len(win) {
			return i, false
		}
		switch n := win[i+1]; {
		case n == 0x00 || n >= markerRST && n <= markerRST+7:
			i += 2
		case n == 0xFF:
			i++
		default:
			return i, true
		}
	}
}

func (fr *FrameReader) add(b ...byte) error {
	if len(fr.buf)+len(b) > fr.MaxFrame {
		return ErrFrameTooLarge
	}
	fr.buf = appendDoubling(fr.buf, b, fr.MaxFrame)
	return nil
}

// appendDoubling appends p, doubling the capacity when it runs out but
// never past limit (the frame-size cap): a large frame is then scanned
// with a few reallocations, not the dozens of append's gentler growth,
// and the garbage it leaves stays under the cap.
func appendDoubling(buf, p []byte, limit int) []byte {
	if len(buf)+len(p) > cap(buf) {
		buf = slices.Grow(buf, max(len(p), min(cap(buf), limit-len(buf))))
	}
	return append(buf, p...)
}
