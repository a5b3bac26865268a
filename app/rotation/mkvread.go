package rotation

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// ErrNotRepairable means a segment lacks the header a repair needs.
var ErrNotRepairable = errors.New("segment header incomplete")

var errEBML = errors.New("malformed EBML")

// readID reads an element ID (marker bits kept).
func readID(b []byte) (uint32, int, error) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, errEBML
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > 4 || len(b) < n {
		return 0, 0, errEBML
	}
	var id uint32
	for _, c := range b[:n] {
		id = id<<8 | uint32(c)
	}
	return id, n, nil
}

// readSize reads an element data size; unknown is the all-ones value.
func readSize(b []byte) (size uint64, n int, unknown bool, err error) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false, errEBML
	}
	n = 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if len(b) < n {
		return 0, 0, false, errEBML
	}
	size = uint64(b[0] & (0xFF >> n))
	all := size == uint64(0xFF>>n)
	for _, c := range b[1:n] {
		size = size<<8 | uint64(c)
		all = all && c == 0xFF
	}
	return size, n, all, nil
}

// elemHeader reads the ID and size at off in r.
func elemHeader(r io.ReaderAt, off, limit int64) (id uint32, hdr int, size uint64, unknown bool, err error) {
	var b [12]byte
	n, _ := r.ReadAt(b[:min(12, max(limit-off, 0))], off)
	id, in, err := readID(b[:n])
	if err != nil {
		return 0, 0, 0, false, err
	}
	size, sn, unknown, err := readSize(b[in:n])
	return id, in + sn, size, unknown, err
}

// children calls fn for each element inside payload b; off is b's offset.
func children(b []byte, off int64, fn func(id uint32, payload []byte, at int64)) error {
	for i := 0; i < len(b); {
		id, in, err := readID(b[i:])
		if err != nil {
			return err
		}
		size, sn, _, err := readSize(b[i+in:])
		if err != nil || uint64(len(b)-i-in-sn) < size {
			return errEBML
		}
		p := i + in + sn
		fn(id, b[p:p+int(size)], off+int64(p))
		i = p + int(size)
	}
	return nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// mkvHead is what the parts before the clusters say.
type mkvHead struct {
	segData, durOff, infoPos, tracksPos, first int64
	start                                      time.Time
	duration                                   float64
	seek                                       map[uint32]int64
}

// readHead parses the EBML header, the Segment start, SeekHead, Info and
// Tracks; first is the offset of the first element after them.
func readHead(r io.ReaderAt, size int64, nameStart time.Time) (*mkvHead, error) {
	id, hdr, esize, _, err := elemHeader(r, 0, size)
	if err != nil || id != idEBML {
		return nil, fmt.Errorf("%w: no EBML header", ErrNotRepairable)
	}
	segOff := int64(hdr) + int64(esize)
	id, hdr, _, _, err = elemHeader(r, segOff, size)
	if err != nil || id != idSegment || hdr != 12 {
		// Close patches an 8-byte size: only our layout has one.
		return nil, fmt.Errorf("%w: no Segment with an 8-byte size", ErrNotRepairable)
	}
	h := &mkvHead{segData: segOff + int64(hdr), start: nameStart, seek: map[uint32]int64{}}
	// Close rewrites the SeekHead in place: only our layout, with its
	// reserved space first, can be repaired.
	reserved := int64(0)
	for reserved < seekHeadSpace {
		id, hdr, esize, _, err := elemHeader(r, h.segData+reserved, size)
		if err != nil || (id != idVoid && id != idSeekHead) {
			break
		}
		reserved += int64(hdr) + int64(esize)
	}
	if reserved != seekHeadSpace {
		return nil, fmt.Errorf("%w: not a unicam Matroska layout", ErrNotRepairable)
	}
	pos := h.segData
	for pos < size {
		id, hdr, esize, _, err := elemHeader(r, pos, size)
		if err != nil || pos+int64(hdr)+int64(esize) > size {
			return nil, fmt.Errorf("%w: cut inside the header", ErrNotRepairable)
		}
		if id != idVoid && id != idSeekHead && id != idInfo && id != idTracks {
			break
		}
		if id != idVoid && esize <= 4096 {
			b := make([]byte, esize)
			if _, err := r.ReadAt(b, pos+int64(hdr)); err != nil {
				return nil, err
			}
			h.element(id, b, pos, pos+int64(hdr))
		}
		pos += int64(hdr) + int64(esize)
	}
	if h.durOff == 0 || h.tracksPos == 0 {
		return nil, fmt.Errorf("%w: no Info or Tracks", ErrNotRepairable)
	}
	h.first = pos
	return h, nil
}

func (h *mkvHead) element(id uint32, b []byte, at, payload int64) {
	switch id {
	case idInfo:
		h.infoPos = at - h.segData
		children(b, payload, func(id uint32, p []byte, off int64) {
			switch {
			case id == idDuration && len(p) == 8:
				h.durOff = off
				h.duration = math.Float64frombits(binary.BigEndian.Uint64(p))
			case id == idDateUTC && len(p) == 8:
				h.start = epoch2001.Add(time.Duration(int64(binary.BigEndian.Uint64(p)))).In(h.start.Location())
			}
		})
	case idTracks:
		h.tracksPos = at - h.segData
	case idSeekHead:
		children(b, payload, func(id uint32, p []byte, _ int64) {
			if id != idSeek {
				return
			}
			var sid uint32
			var spos int64 = -1
			children(p, 0, func(id uint32, q []byte, _ int64) {
				switch id {
				case idSeekID:
					sid = uint32(beUint(q))
				case idSeekPosition:
					spos = int64(beUint(q))
				}
			})
			if spos >= 0 {
				h.seek[sid] = spos
			}
		})
	}
}

// maxClusterRead bounds the cluster size a repair will read.
const maxClusterRead = 64 << 20

// repairMKV cuts a Matroska segment back to its last complete cluster and
// returns a writer positioned to close it (Cues, Tags, header).
func repairMKV(f File, size int64, nameStart time.Time) (container, error) {
	h, err := readHead(f, size, nameStart)
	if err != nil {
		return nil, err
	}
	m := &mkvWriter{w: f, start: h.start, segData: h.segData, durOff: h.durOff, infoPos: h.infoPos, tracksPos: h.tracksPos}
	pos := h.first
	for pos < size {
		id, hdr, csize, unknown, err := elemHeader(f, pos, size)
		end := pos + int64(hdr) + int64(csize)
		if err != nil || id != idCluster || unknown || csize > maxClusterRead || end > size {
			break
		}
		b := make([]byte, csize)
		if _, err := f.ReadAt(b, pos+int64(hdr)); err != nil {
			break
		}
		ms, frames, last, ok := parseCluster(b)
		if !ok {
			break
		}
		m.cues = append(m.cues, CuePoint{MS: ms, Pos: pos - h.segData})
		m.frames += frames
		m.lastMS = last
		pos = end
	}
	if err := f.Truncate(pos); err != nil {
		return nil, fmt.Errorf("truncate to the last complete cluster: %w", err)
	}
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		return nil, err
	}
	m.size_ = pos
	return m, nil
}

// parseCluster reads a cluster's timestamp, block count and last block time.
func parseCluster(b []byte) (ms, frames, last int64, ok bool) {
	ms = -1
	err := children(b, 0, func(id uint32, p []byte, _ int64) {
		switch id {
		case idTimestamp:
			ms = int64(beUint(p))
		case idSimpleBlock:
			if len(p) >= 4 && ms >= 0 {
				frames++
				last = ms + int64(int16(binary.BigEndian.Uint16(p[1:3])))
			}
		}
	})
	return ms, frames, last, err == nil && ms >= 0 && frames > 0
}

// infoMKV reads a finished segment's end and frame count from its Info and
// Tags, found through the SeekHead: two small reads, no cluster scan.
func infoMKV(r io.ReaderAt, size int64, nameStart time.Time) (time.Time, int64, error) {
	h, err := readHead(r, size, nameStart)
	if err != nil {
		return time.Time{}, 0, err
	}
	end := h.start.Add(time.Duration(h.duration * float64(time.Millisecond)))
	tags, ok := h.seek[idTags]
	if !ok {
		return end, 0, nil
	}
	at := h.segData + tags
	id, hdr, tsize, _, err := elemHeader(r, at, size)
	if err != nil || id != idTags || tsize > 4096 {
		return end, 0, nil
	}
	b := make([]byte, tsize)
	if _, err := r.ReadAt(b, at+int64(hdr)); err != nil {
		return end, 0, nil
	}
	return end, framesTag(b), nil
}

func framesTag(tags []byte) int64 {
	var frames int64
	children(tags, 0, func(id uint32, tag []byte, _ int64) {
		children(tag, 0, func(id uint32, st []byte, _ int64) {
			if id != idSimpleTag {
				return
			}
			var name, val string
			children(st, 0, func(id uint32, p []byte, _ int64) {
				switch id {
				case idTagName:
					name = string(p)
				case idTagString:
					val = string(p)
				}
			})
			if name == "NUMBER_OF_FRAMES" {
				frames, _ = strconv.ParseInt(val, 10, 64)
			}
		})
	})
	return frames
}

// ReadCues returns the seek index of a finished Matroska segment: for each
// cluster, its first frame's time (ms from the start) and its offset from
// the Segment payload, plus that payload's file offset.
func ReadCues(r io.ReaderAt, size int64) (cues []CuePoint, segData int64, err error) {
	h, err := readHead(r, size, time.Time{})
	if err != nil {
		return nil, 0, err
	}
	pos, ok := h.seek[idCues]
	if !ok {
		return nil, 0, fmt.Errorf("no Cues: segment not finished")
	}
	at := h.segData + pos
	id, hdr, csize, _, err := elemHeader(r, at, size)
	if err != nil || id != idCues || at+int64(hdr)+int64(csize) > size {
		return nil, 0, fmt.Errorf("Cues unreadable: %w", errEBML)
	}
	b := make([]byte, csize)
	if _, err := r.ReadAt(b, at+int64(hdr)); err != nil {
		return nil, 0, err
	}
	err = children(b, 0, func(id uint32, cp []byte, _ int64) {
		c := CuePoint{MS: -1, Pos: -1}
		children(cp, 0, func(id uint32, p []byte, _ int64) {
			switch id {
			case idCueTime:
				c.MS = int64(beUint(p))
			case idCueTrackPositions:
				children(p, 0, func(id uint32, q []byte, _ int64) {
					if id == idCueClusterPosition {
						c.Pos = int64(beUint(q))
					}
				})
			}
		})
		if c.MS >= 0 && c.Pos >= 0 {
			cues = append(cues, c)
		}
	})
	return cues, h.segData, err
}

// ReadFrames calls fn for each frame of a finished Matroska segment from
// fromMS on (ms from the segment start), in order, until fn returns false.
// It jumps to the right cluster through the Cues, so starting anywhere in
// a 24-hour segment reads one cluster, not the file.
func ReadFrames(r io.ReaderAt, size, fromMS int64, fn func(ms int64, jpeg []byte) bool) error {
	cues, segData, err := ReadCues(r, size)
	if err != nil {
		return err
	}
	i := 0
	for i+1 < len(cues) && cues[i+1].MS <= fromMS {
		i++
	}
	if len(cues) == 0 {
		return nil
	}
	for pos := segData + cues[i].Pos; pos < size; {
		id, hdr, csize, _, err := elemHeader(r, pos, size)
		if err != nil || id != idCluster || csize > maxClusterRead {
			return nil
		}
		b := make([]byte, csize)
		if _, err := r.ReadAt(b, pos+int64(hdr)); err != nil {
			return err
		}
		more := true
		var ms int64
		children(b, 0, func(id uint32, p []byte, _ int64) {
			switch {
			case !more:
			case id == idTimestamp:
				ms = int64(beUint(p))
			case id == idSimpleBlock && len(p) >= 4:
				t := ms + int64(int16(binary.BigEndian.Uint16(p[1:3])))
				if t >= fromMS {
					more = fn(t, p[4:])
				}
			}
		})
		if !more {
			return nil
		}
		pos += int64(hdr) + int64(csize)
	}
	return nil
}
