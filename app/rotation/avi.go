package rotation

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// aviWriter writes an OpenDML AVI (AVI 2.0) with one MJPG video stream.
// The first RIFF 'AVI ' holds the headers, the frames and a legacy idx1;
// every 1 GiB a RIFF 'AVIX' extension starts, so files grow past the old
// 1/2/4 GiB limits. Each RIFF's movi list ends with a standard index
// (ix00) that the super index (indx) in the header points to. AVI has one
// frame rate per stream, so capture times are not kept exactly: the rate
// is the file's average, written at close.
type aviWriter struct {
	w          File
	start      time.Time
	last       time.Time
	width      int
	height     int
	size_      int64
	frames     int64
	pend       [][]byte
	pendFrames int64
	// The RIFF being written: its start, its movi list's start, and the
	// frames in it (offset from movi's data, size).
	riffStart, moviStart int64
	riffEntries          []aviEntry
	// Every frame of the first RIFF, for idx1.
	first    []aviEntry
	riffs    []aviSuper
	inFirst  bool
	maxFrame uint32
}

type aviEntry struct {
	off  int64 // of the chunk's data, from movi's data
	size uint32
}

type aviSuper struct {
	off      int64 // of the ix00 chunk in the file
	size     uint32
	duration uint32
}

const (
	aviRIFFMax    = 1 << 30
	aviSuperSlots = 256 // 256 RIFFs of 1 GiB: files up to 256 GiB
	// Offsets inside the header this writer lays out.
	aviHdrlSize = 4 + (8 + 56) + 12 + (8 + 56) + (8 + 40) + (8 + 24 + 16*aviSuperSlots) + 12 + (8 + 248)
)

func createAVI(f File, start time.Time, width, height int) (container, error) {
	a := &aviWriter{w: f, start: start, last: start, width: width, height: height, inFirst: true}
	if err := a.writeHeader(); err != nil {
		return nil, err
	}
	return a, nil
}

func le32b(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le16b(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }

// header builds RIFF 'AVI ', the hdrl list and the start of movi, with the
// totals that close fills in.
func (a *aviWriter) header() []byte {
	fps := a.rate()
	usPerFrame := uint32(1e6 / fps)
	b := []byte("RIFF")
	b = le32b(b, aviUnfinishedRIFF)
	b = append(b, "AVI LIST"...)
	b = le32b(b, aviHdrlSize)
	b = append(b, "hdrlavih"...)
	b = le32b(b, 56)
	b = le32b(b, usPerFrame)
	b = le32b(b, 0)          // max bytes per second
	b = le32b(b, 0)          // padding granularity
	b = le32b(b, 0x10|0x800) // AVIF_HASINDEX | AVIF_TRUSTCKTYPE
	b = le32b(b, uint32(len(a.first)))
	b = le32b(b, 0) // initial frames
	b = le32b(b, 1) // streams
	b = le32b(b, a.maxFrame)
	b = le32b(b, uint32(a.width))
	b = le32b(b, uint32(a.height))
	b = append(b, make([]byte, 16)...)
	b = append(b, "LIST"...)
	b = le32b(b, 4+(8+56)+(8+40)+(8+24+16*aviSuperSlots))
	b = append(b, "strlstrh"...)
	b = le32b(b, 56)
	b = append(b, "vidsMJPG"...)
	b = le32b(b, 0) // flags
	b = le32b(b, 0) // priority, language
	b = le32b(b, 0) // initial frames
	b = le32b(b, 1000)
	b = le32b(b, uint32(fps*1000))
	b = le32b(b, 0) // start
	b = le32b(b, uint32(a.frames))
	b = le32b(b, a.maxFrame)
	b = le32b(b, 0xFFFFFFFF) // quality
	b = le32b(b, 0)          // sample size
	b = le16b(le16b(le16b(le16b(b, 0), 0), uint16(a.width)), uint16(a.height))
	b = append(b, "strf"...)
	b = le32b(b, 40)
	b = le32b(b, 40)
	b = le32b(b, uint32(a.width))
	b = le32b(b, uint32(a.height))
	b = le16b(le16b(b, 1), 24)
	b = append(b, "MJPG"...)
	b = le32b(b, uint32(a.width*a.height*3))
	b = append(b, make([]byte, 16)...)
	b = append(b, a.superIndex()...)
	b = append(b, "LIST"...)
	b = le32b(b, 4+8+248)
	b = append(b, "odmldmlh"...)
	b = le32b(b, 248)
	b = le32b(b, uint32(a.frames))
	b = append(b, make([]byte, 244)...)
	b = append(b, "LIST"...)
	b = le32b(b, aviUnfinishedMovi)
	return append(b, "movi"...)
}

// superIndex is the OpenDML indx chunk: one entry per RIFF's ix00.
func (a *aviWriter) superIndex() []byte {
	b := []byte("indx")
	b = le32b(b, 24+16*aviSuperSlots)
	b = le16b(b, 4)     // longs per entry
	b = append(b, 0, 0) // index sub type, AVI_INDEX_OF_INDEXES
	b = le32b(b, uint32(len(a.riffs)))
	b = append(b, "00dc"...)
	b = append(b, make([]byte, 12)...)
	for i := 0; i < aviSuperSlots; i++ {
		var e aviSuper
		if i < len(a.riffs) {
			e = a.riffs[i]
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(e.off))
		b = le32b(b, e.size)
		b = le32b(b, e.duration)
	}
	return b
}

func (a *aviWriter) writeHeader() error {
	h := a.header()
	if _, err := a.w.Write(h); err != nil {
		return err
	}
	a.size_ = int64(len(h))
	a.riffStart, a.moviStart = 0, a.size_
	return nil
}

func (a *aviWriter) rate() float64 {
	if a.frames > 1 && a.last.After(a.start) {
		return float64(a.frames-1) / a.last.Sub(a.start).Seconds()
	}
	return 25
}

func (a *aviWriter) add(t time.Time, jpeg []byte) {
	a.pend = append(a.pend, jpeg)
	a.pendFrames++
	if t.After(a.last) {
		a.last = t
	}
}

func (a *aviWriter) needsCut(time.Time) bool { return false }
func (a *aviWriter) size() int64             { return a.size_ }
func (a *aviWriter) frameCount() int64       { return a.frames }
func (a *aviWriter) discard()                { a.pend, a.pendFrames = a.pend[:0], 0 }

func (a *aviWriter) end() time.Time {
	if a.frames <= 1 {
		return a.last
	}
	return a.last.Add(a.last.Sub(a.start) / time.Duration(a.frames-1))
}

func (a *aviWriter) pending() int64 {
	var n int64
	for _, p := range a.pend {
		n += 8 + int64(len(p)+len(p)&1)
	}
	return n
}

// reserve is the indexes close writes, plus a RIFF change's headers.
func (a *aviWriter) reserve() int64 {
	return int64(len(a.first))*16 + int64(len(a.riffEntries)+len(a.pend))*8 + 64 + 24
}

// flush writes the pending frames as 00dc chunks, starting an AVIX RIFF
// when the current one would pass 1 GiB.
func (a *aviWriter) flush() error {
	var buf []byte
	for _, p := range a.pend {
		if a.size_+int64(len(buf))-a.riffStart+int64(len(p))+64 > aviRIFFMax && len(a.riffEntries) > 0 {
			if err := a.writeOut(buf); err != nil {
				return err
			}
			buf = buf[:0]
			if err := a.nextRIFF(); err != nil {
				return err
			}
		}
		a.riffEntries = append(a.riffEntries, aviEntry{off: a.size_ + int64(len(buf)) + 8 - a.moviStart, size: uint32(len(p))})
		if a.inFirst {
			a.first = append(a.first, a.riffEntries[len(a.riffEntries)-1])
		}
		a.maxFrame = max(a.maxFrame, uint32(len(p)))
		buf = append(buf, "00dc"...)
		buf = le32b(buf, uint32(len(p)))
		buf = append(buf, p...)
		if len(p)&1 == 1 {
			buf = append(buf, 0)
		}
	}
	if err := a.writeOut(buf); err != nil {
		return err
	}
	a.frames += a.pendFrames
	a.discard()
	return nil
}

func (a *aviWriter) writeOut(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := a.w.Write(b); err != nil {
		return fmt.Errorf("write frames: %w", err)
	}
	a.size_ += int64(len(b))
	return nil
}

// finishRIFF writes the RIFF's ix00 (and idx1 for the first) and patches
// its sizes.
func (a *aviWriter) finishRIFF() error {
	ix := a.stdIndex()
	a.riffs = append(a.riffs, aviSuper{off: a.size_, size: uint32(len(ix)), duration: uint32(len(a.riffEntries))})
	if err := a.writeOut(ix); err != nil {
		return err
	}
	moviEnd := a.size_
	if a.inFirst {
		if err := a.writeOut(a.idx1()); err != nil {
			return err
		}
	}
	if err := a.patch(a.riffStart+4, uint32(a.size_-a.riffStart-8)); err != nil {
		return err
	}
	return a.patch(a.moviStart-8, uint32(moviEnd-a.moviStart+4))
}

func (a *aviWriter) nextRIFF() error {
	if len(a.riffs) >= aviSuperSlots-1 {
		return fmt.Errorf("AVI past %d GiB: start a new segment", aviSuperSlots)
	}
	if err := a.finishRIFF(); err != nil {
		return err
	}
	a.inFirst = false
	a.riffStart = a.size_
	h := []byte("RIFF\x00\x00\x00\x00AVIXLIST\x00\x00\x00\x00movi")
	if err := a.writeOut(h); err != nil {
		return err
	}
	a.moviStart = a.size_
	a.riffEntries = a.riffEntries[:0]
	return nil
}

// stdIndex is an OpenDML standard index (ix00) of the current RIFF.
func (a *aviWriter) stdIndex() []byte {
	b := []byte("ix00")
	b = le32b(b, uint32(24+8*len(a.riffEntries)))
	b = le16b(b, 2)     // longs per entry
	b = append(b, 0, 1) // sub type, AVI_INDEX_OF_CHUNKS
	b = le32b(b, uint32(len(a.riffEntries)))
	b = append(b, "00dc"...)
	b = binary.LittleEndian.AppendUint64(b, uint64(a.moviStart))
	b = le32b(b, 0)
	for _, e := range a.riffEntries {
		b = le32b(b, uint32(e.off))
		b = le32b(b, e.size) // bit 31 clear: a key frame
	}
	return b
}

// idx1 is the AVI 1.0 index of the first RIFF's frames.
func (a *aviWriter) idx1() []byte {
	b := []byte("idx1")
	b = le32b(b, uint32(16*len(a.first)))
	for _, e := range a.first {
		b = append(b, "00dc"...)
		b = le32b(b, 0x10)              // AVIIF_KEYFRAME
		b = le32b(b, uint32(e.off-8+4)) // chunk header, from "movi"
		b = le32b(b, e.size)
	}
	return b
}

// The sizes an unfinished file carries: as large as a RIFF may be, so a
// reader of a file cut off by a crash reads on to its end; close patches
// the real ones.
const (
	aviUnfinishedRIFF = aviRIFFMax
	aviUnfinishedMovi = aviRIFFMax - aviHdrlSize - 32
)

// aviHeaderLen is the length of the header this writer lays out (always
// the same), so movi's data starts there; aviTotalFramesOff is where
// dmlh's total frame count sits, 260 bytes before it.
var (
	aviHeaderLen      = int64(len((&aviWriter{}).header()))
	aviTotalFramesOff = aviHeaderLen - 260
)

func (a *aviWriter) patch(off int64, v uint32) error {
	if _, err := a.w.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := a.w.Write(le32b(nil, v)); err != nil {
		return err
	}
	_, err := a.w.Seek(a.size_, io.SeekStart)
	return err
}

// close writes the last RIFF's indexes and the header's totals.
func (a *aviWriter) close() error {
	if err := a.flush(); err != nil {
		return err
	}
	if err := a.finishRIFF(); err != nil {
		return err
	}
	// Rewrite the header's totals (frame counts, rate, super index),
	// keeping the first RIFF's and movi's sizes just patched.
	h := a.header()
	riffSize, moviSize := make([]byte, 4), make([]byte, 4)
	if _, err := a.w.ReadAt(riffSize, 4); err != nil {
		return err
	}
	if _, err := a.w.ReadAt(moviSize, int64(len(h))-8); err != nil {
		return err
	}
	copy(h[4:8], riffSize)
	copy(h[len(h)-8:len(h)-4], moviSize)
	if _, err := a.w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := a.w.Write(h); err != nil {
		return err
	}
	_, err := a.w.Seek(a.size_, io.SeekStart)
	return err
}

// nullFile counts what would be written; repairAVI replays a file's
// frames into it to rebuild the writer's bookkeeping.
type nullFile struct{ off, end int64 }

func (n *nullFile) Write(p []byte) (int, error) {
	n.off += int64(len(p))
	n.end = max(n.end, n.off)
	return len(p), nil
}

func (n *nullFile) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekStart {
		n.off = off
	}
	return n.off, nil
}
func (n *nullFile) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }
func (n *nullFile) Truncate(int64) error                  { return nil }
func (n *nullFile) Sync() error                           { return nil }
func (n *nullFile) Close() error                          { return nil }

// repairAVI keeps the complete frames of an AVI this writer started. The
// writer lays files out deterministically, so replaying the frames' sizes
// rebuilds its state exactly; the file is cut after the last complete
// frame and close writes the indexes and totals.
func repairAVI(f File, size int64, start time.Time) (container, error) {
	var hdr [72]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "AVI " {
		return nil, fmt.Errorf("%w: no AVI header", ErrNotRepairable)
	}
	width := int(binary.LittleEndian.Uint32(hdr[64:]))
	height := int(binary.LittleEndian.Uint32(hdr[68:]))
	sizes := aviFrames(f, size, aviHeaderLen)
	a := &aviWriter{w: &nullFile{}, start: start, last: start, width: width, height: height, inFirst: true}
	if err := a.writeHeader(); err != nil {
		return nil, err
	}
	zero := make([]byte, 0)
	for i, n := range sizes {
		if cap(zero) < int(n) {
			zero = make([]byte, n)
		}
		a.add(start.Add(time.Duration(i)*40*time.Millisecond), zero[:n])
		if err := a.flush(); err != nil {
			return nil, err
		}
	}
	a.w = f
	if err := f.Truncate(a.size_); err != nil {
		return nil, fmt.Errorf("truncate to the last complete frame: %w", err)
	}
	_, err := f.Seek(a.size_, io.SeekStart)
	return a, err
}

// aviFrames walks the chunks from movi's data and returns the sizes of
// the complete 00dc frames, skipping indexes and AVIX RIFF headers.
func aviFrames(r io.ReaderAt, size, pos int64) []uint32 {
	var sizes []uint32
	var h [8]byte
	for pos+8 <= size {
		if _, err := r.ReadAt(h[:], pos); err != nil {
			break
		}
		id, n := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		switch id {
		case "00dc":
			if pos+8+n > size {
				return sizes
			}
			sizes = append(sizes, uint32(n))
			pos += 8 + n + n&1
		case "ix00", "idx1":
			pos += 8 + n + n&1
		case "RIFF":
			pos += 24 // RIFF size AVIX LIST size movi
		default:
			return sizes
		}
	}
	return sizes
}

// infoAVI reads the frame count from the header of a finished AVI.
func infoAVI(r io.ReaderAt, size int64, start time.Time) (time.Time, int64, error) {
	var hdr [64]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil || string(hdr[8:12]) != "AVI " {
		return time.Time{}, 0, fmt.Errorf("not an AVI")
	}
	usPerFrame := int64(binary.LittleEndian.Uint32(hdr[32:]))
	var total [4]byte
	// dmlh's dwTotalFrames counts every RIFF's frames.
	if _, err := r.ReadAt(total[:], aviTotalFramesOff); err != nil {
		return time.Time{}, 0, err
	}
	frames := int64(binary.LittleEndian.Uint32(total[:]))
	return start.Add(time.Duration(frames*usPerFrame) * time.Microsecond), frames, nil
}
