package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// testJPEG encodes a real w×h JPEG whose picture depends on seed.
func testJPEG(t testing.TB, w, h, seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{byte(x*seed + y), byte(y * 3), byte(seed * 40), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExifThumbnail puts a whole JPEG inside an APP1 segment, as cameras
// embed EXIF thumbnails: its EOI must not end the outer frame.
func withExifThumbnail(outer, thumb []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), thumb...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, outer[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, outer[2:]...)
}

func TestScanJPEG(t *testing.T) {
	j := testJPEG(t, 32, 24, 1)
	if n, err := ScanJPEG(j); err != nil || n != len(j) {
		t.Fatalf("ScanJPEG = %d, %v; want %d", n, err, len(j))
	}
	if n, _ := ScanJPEG(append(append([]byte{}, j...), "trailing"...)); n != len(j) {
		t.Errorf("with trailing bytes: %d", n)
	}
	ex := withExifThumbnail(j, testJPEG(t, 8, 8, 2))
	if n, err := ScanJPEG(ex); err != nil || n != len(ex) {
		t.Errorf("EXIF thumbnail: %d, %v; want %d", n, err, len(ex))
	}
	if _, err := ScanJPEG(j[:len(j)-1]); !errors.Is(err, ErrTruncatedJPEG) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ScanJPEG([]byte("GIF89a")); !errors.Is(err, ErrNotJPEG) {
		t.Errorf("not jpeg: %v", err)
	}
	// Restart markers and byte stuffing belong to the entropy-coded data.
	rst := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x11, 0xFF, 0x00, 0x22, 0xFF, 0xD0, 0x33, 0xFF, 0xFF, 0xD9}
	if n, err := ScanJPEG(rst); err != nil || n != len(rst) {
		t.Errorf("RST/stuffing: %d, %v", n, err)
	}
}

func TestComment(t *testing.T) {
	j := WithComment(testJPEG(t, 16, 16, 3), "unicam-seq=42")
	if c, ok := Comment(j); !ok || c != "unicam-seq=42" {
		t.Errorf("Comment = %q %v", c, ok)
	}
	if _, err := jpeg.Decode(bytes.NewReader(j)); err != nil {
		t.Errorf("JPEG with comment does not decode: %v", err)
	}
}

// quirkStreams builds the byte streams real cameras send for frames.
func quirkStreams(frames [][]byte) map[string][]byte {
	part := func(b *bytes.Buffer, boundary string, f []byte, length string) {
		fmt.Fprintf(b, "%s\r\nContent-Type: image/jpeg\r\n", boundary)
		if length != "" {
			fmt.Fprintf(b, "Content-Length: %s\r\n", length)
		}
		b.WriteString("\r\n")
		b.Write(f)
		b.WriteString("\r\n")
	}
	out := map[string][]byte{}
	build := func(name string, fn func(b *bytes.Buffer, i int, f []byte)) {
		var b bytes.Buffer
		for i, f := range frames {
			fn(&b, i, f)
		}
		out[name] = b.Bytes()
	}
	build("multipart", func(b *bytes.Buffer, _ int, f []byte) { part(b, "--myboundary", f, fmt.Sprint(len(f))) })
	build("boundary without dashes", func(b *bytes.Buffer, _ int, f []byte) { part(b, "myboundary", f, fmt.Sprint(len(f))) })
	build("no content-length", func(b *bytes.Buffer, _ int, f []byte) { part(b, "--b", f, "") })
	build("lying content-length", func(b *bytes.Buffer, i int, f []byte) { part(b, "--b", f, fmt.Sprint(len(f)-100+i*150)) })
	build("content-length too long", func(b *bytes.Buffer, _ int, f []byte) { part(b, "--b", f, fmt.Sprint(len(f)+150)) })
	build("content-length counts the CRLF", func(b *bytes.Buffer, _ int, f []byte) { part(b, "--b", f, fmt.Sprint(len(f)+2)) })
	build("content-length lies after two honest parts", func(b *bytes.Buffer, i int, f []byte) {
		n := len(f)
		if i == 2 {
			n -= 7
		}
		part(b, "--b", f, fmt.Sprint(n))
	})
	build("no boundary before first part", func(b *bytes.Buffer, i int, f []byte) {
		if i == 0 {
			b.WriteString("Content-Type: image/jpeg\r\n\r\n")
			b.Write(f)
			b.WriteString("\r\n")
			return
		}
		part(b, "--b", f, "")
	})
	build("padding after frames", func(b *bytes.Buffer, _ int, f []byte) {
		part(b, "--b", f, fmt.Sprint(len(f)))
		b.Write(make([]byte, 37))
		b.WriteString("\r\n\r\n")
	})
	build("bare concatenated JPEGs", func(b *bytes.Buffer, _ int, f []byte) { b.Write(f) })
	build("garbage between frames", func(b *bytes.Buffer, i int, f []byte) {
		b.WriteString(strings.Repeat("\xff\x00junk\xff", i+1))
		b.Write(f)
	})
	return out
}

func TestFrameReaderQuirks(t *testing.T) {
	frames := [][]byte{testJPEG(t, 64, 48, 1), withExifThumbnail(testJPEG(t, 64, 48, 2), testJPEG(t, 16, 12, 9)), testJPEG(t, 64, 48, 3)}
	for name, stream := range quirkStreams(frames) {
		for _, rd := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{{"", func(r io.Reader) io.Reader { return r }}, {" one byte per read", iotest.OneByteReader}} {
			t.Run(name+rd.name, func(t *testing.T) {
				fr := NewFrameReader(rd.wrap(bytes.NewReader(stream)), 0)
				for i, want := range frames {
					got, err := fr.Next()
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("frame %d: %d bytes, want the %d sent", i, len(got), len(want))
					}
				}
				if _, err := fr.Next(); !errors.Is(err, io.EOF) {
					t.Errorf("after the last frame: %v, want EOF", err)
				}
			})
		}
	}
}

func TestFrameReaderDropsOversizedAndResyncs(t *testing.T) {
	small, big := testJPEG(t, 16, 16, 1), testJPEG(t, 256, 256, 2)
	stream := bytes.Join([][]byte{small, big, small}, []byte("--b\r\n\r\n"))
	fr := NewFrameReader(bytes.NewReader(stream), len(small)+10)
	for i := 0; i < 2; i++ {
		got, err := fr.Next()
		if err != nil || !bytes.Equal(got, small) {
			t.Fatalf("frame %d: %d bytes, %v", i, len(got), err)
		}
	}
	if fr.Oversized != 1 {
		t.Errorf("Oversized = %d, want 1", fr.Oversized)
	}
}

func TestFrameReaderEndlessFrameStaysBounded(t *testing.T) {
	// SOI, SOS, then entropy data that never ends.
	head := []byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}
	endless := io.MultiReader(bytes.NewReader(head), io.LimitReader(zeroes{}, 64<<20))
	fr := NewFrameReader(endless, 1<<20)
	heard := 0
	fr.OnOversized = func() { heard++ }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := fr.Next()
	runtime.ReadMemStats(&after)
	// The buffers grown while scanning, garbage included, stay within
	// twice the cap: memory is bounded by it, not by the stream.
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20+256<<10 {
		t.Errorf("scanning an endless frame allocated %d KiB for a 1 MiB cap", n>>10)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		t.Errorf("endless frame: %v", err)
	}
	if fr.Oversized != 1 || cap(fr.buf) > 3<<20 {
		t.Errorf("Oversized %d, buffer cap %d: memory must stay near the 1 MiB cap", fr.Oversized, cap(fr.buf))
	}
	if heard != 1 {
		t.Errorf("OnOversized called %d times while Next ran, want 1", heard)
	}
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestFrameReaderCutOff(t *testing.T) {
	j := testJPEG(t, 32, 32, 1)
	fr := NewFrameReader(bytes.NewReader(append(append([]byte{}, j...), j[:len(j)/2]...)), 0)
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut-off frame: %v, want ErrUnexpectedEOF", err)
	}
}

func FuzzFrameReader(f *testing.F) {
	j := testJPEG(f, 16, 16, 1)
	for _, s := range quirkStreams([][]byte{j, j}) {
		f.Add(s)
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, b []byte) {
		// HalfReader makes reads end mid-marker, as TCP segments do.
		fr := NewFrameReader(iotest.HalfReader(bytes.NewReader(b)), 4096)
		for range 100 {
			got, err := fr.Next()
			if err != nil {
				return
			}
			// A frame read by its Content-Length is not scanned past
			// SOS, so only its ends are checked here.
			if len(got) > 4096 || !bytes.HasPrefix(got, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(got, []byte{0xFF, 0xD9}) {
				t.Fatalf("frame of %d bytes is not SOI…EOI under the cap: % x", len(got), got)
			}
		}
	})
}

func FuzzScanJPEG(f *testing.F) {
	f.Add(testJPEG(f, 8, 8, 1))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD0, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ScanJPEG(b)
		if err == nil && (n > len(b) || n < 4) {
			t.Fatalf("ScanJPEG = %d for %d bytes", n, len(b))
		}
	})
}

// TestFrameReaderUseLendsAndLetsGo checks the zero-copy path: a frame read
// after Use lands in the lent storage, and the reader never writes to it
// again, whether the next frame comes with a buffer of its own or not.
func TestFrameReaderUseLendsAndLetsGo(t *testing.T) {
	a, b := testJPEG(t, 32, 32, 1), testJPEG(t, 32, 32, 2)
	var s bytes.Buffer
	for _, j := range [][]byte{a, b, a} {
		fmt.Fprintf(&s, "--f\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
		s.Write(j)
		s.WriteString("\r\n")
	}
	fr := NewFrameReader(&s, 0)
	lent := make([]byte, 0, 1<<16)
	fr.Use(lent)
	first, err := fr.Next()
	if err != nil || !bytes.Equal(first, a) {
		t.Fatalf("first frame: %v", err)
	}
	if &first[0] != &lent[:1][0] {
		t.Error("frame was not read into the lent buffer")
	}
	second, err := fr.Next()
	if err != nil || !bytes.Equal(second, b) {
		t.Fatalf("second frame: %v", err)
	}
	fr.Use(make([]byte, 0, 16)) // too small: grown, not overflowed
	if third, err := fr.Next(); err != nil || !bytes.Equal(third, a) {
		t.Fatalf("third frame: %v", err)
	}
	if !bytes.Equal(first, a) {
		t.Error("the reader wrote into a buffer it had let go of")
	}
}
