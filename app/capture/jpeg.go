package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// JPEG markers used by the scanners.
const (
	markerSOI = 0xD8
	markerEOI = 0xD9
	markerSOS = 0xDA
	markerCOM = 0xFE
	markerTEM = 0x01
	markerRST = 0xD0 // through 0xD7
)

// Errors from the JPEG checks.
var (
	ErrNotJPEG       = errors.New("not a JPEG (no SOI)")
	ErrTruncatedJPEG = errors.New("JPEG ends before EOI")
	ErrBadMarker     = errors.New("JPEG has a malformed marker segment")
	ErrFrameTooLarge = errors.New("frame larger than the cap")
)

// standalone reports markers that carry no length field.
func standalone(m byte) bool {
	return m == markerTEM || m >= markerRST && m <= markerRST+7 || m == markerSOI || m == markerEOI
}

// ScanJPEG checks that b starts with a complete JPEG: SOI, marker segments
// walked by their lengths (so an EXIF thumbnail inside APP1 cannot end it
// early), entropy-coded data after each SOS, and EOI. It returns the length
// of that JPEG.
func ScanJPEG(b []byte) (int, error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != markerSOI {
		return 0, ErrNotJPEG
	}
	i := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		for i < len(b) && b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0xFF {
			i++
		}
		if i+1 >= len(b) {
			return 0, ErrTruncatedJPEG
		}
		if b[i] != 0xFF {
			return 0, fmt.Errorf("%w: byte %#02x at %d where a marker belongs", ErrBadMarker, b[i], i)
		}
		m := b[i+1]
		i += 2
		switch {
		case m == markerEOI:
			return i, nil
		case standalone(m) || m == 0x00:
			if m == markerSOI || m == 0x00 {
				return 0, fmt.Errorf("%w: marker %#02x at %d", ErrBadMarker, m, i-2)
			}
			continue
		}
		if i+2 > len(b) {
			return 0, ErrTruncatedJPEG
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 {
			return 0, fmt.Errorf("%w: segment %#02x length %d", ErrBadMarker, m, n)
		}
		i += n
		if i > len(b) {
			return 0, ErrTruncatedJPEG
		}
		if m == markerSOS {
			var err error
			if i, err = skipEntropy(b, i); err != nil {
				return 0, err
			}
		}
	}
}

// skipEntropy returns the offset of the marker that ends the entropy-coded
// data starting at i (0xFF00 stuffing and RSTn markers belong to the data).
func skipEntropy(b []byte, i int) (int, error) {
	for {
		j := bytes.IndexByte(b[i:], 0xFF)
		if j < 0 {
			return 0, ErrTruncatedJPEG
		}
		i += j
		if i+1 >= len(b) {
			return 0, ErrTruncatedJPEG
		}
		next := b[i+1]
		if next == 0x00 || next >= markerRST && next <= markerRST+7 {
			i += 2
			continue
		}
		if next == 0xFF {
			i++
			continue
		}
		return i, nil
	}
}

// WithComment returns jpeg with a COM segment holding text inserted right
// after SOI. text must be shorter than 65534 bytes.
func WithComment(jpeg []byte, text string) []byte {
	out := make([]byte, 0, len(jpeg)+4+len(text))
	out = append(out, jpeg[:2]...)
	out = append(out, 0xFF, markerCOM, byte((len(text)+2)>>8), byte(len(text)+2))
	out = append(out, text...)
	return append(out, jpeg[2:]...)
}

// Comment returns the first COM segment's text of a JPEG, if any.
func Comment(jpeg []byte) (string, bool) {
	i := 2
	for i+4 <= len(jpeg) && jpeg[i] == 0xFF {
		m := jpeg[i+1]
		if m == markerSOS || standalone(m) {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(jpeg[i+2:]))
		if n < 2 || i+2+n > len(jpeg) {
			return "", false
		}
		if m == markerCOM {
			return string(jpeg[i+4 : i+2+n]), true
		}
		i += 2 + n
	}
	return "", false
}
