package rotation

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// mkvWriter writes one Matroska file holding a single V_MJPEG track.
//
// Layout: EBML header, a Segment of unknown size, a SeekHead reserved as
// Void, Info, Tracks, then Clusters. Each cluster is built in memory and
// written whole, so a crash loses at most the cluster being built and the
// file stays valid up to its last cluster. Close adds Cues and Tags (the
// frame count) and fills in the SeekHead, the Duration and the Segment
// size.
type mkvWriter struct {
	w         File
	start     time.Time
	segData   int64 // file offset where the Segment's payload begins
	durOff    int64 // offset of the Duration payload
	infoPos   int64 // Info position relative to segData
	tracksPos int64
	size_     int64 // bytes written so far
	// cluster is the cluster being built: its header and every block's
	// header are copied in; the pictures are not (see blocks).
	cluster []byte
	// blocks are the pictures of the cluster, written from the frames'
	// own buffers (the recorder holds them until flush), each after
	// cluster[:at].
	blocks     []block
	clusterMS  int64
	hasCluster bool
	cues       []CuePoint
	lastMS     int64
	frames     int64
	// pendingFrames counts frames in the cluster being built.
	pendingFrames int64
	blockBytes    int64 // the pictures' bytes in blocks
	vec           [][]byte
}

// block is one picture of the cluster being built.
type block struct {
	at   int // its header ends at this offset in cluster
	jpeg []byte
}

// CuePoint maps a time to the cluster holding it: the seek index.
type CuePoint struct {
	// MS is the cluster's first frame, in ms from the segment start.
	MS int64
	// Pos is the cluster's offset from the Segment payload.
	Pos int64
}

const (
	seekHeadSpace = 100
	muxingApp     = "unicam"
	// maxClusterSpanMS keeps block offsets inside their signed 16-bit range.
	maxClusterSpanMS = 30000
	// cueBytes bounds what one cue point adds to the file at close.
	cueBytes = 40
	// closeOverhead bounds the Cues header and the Tags written at close.
	closeOverhead = 128
	// headerMax bounds the bytes before the first cluster.
	headerMax = 512
	// clusterHdr is a cluster's ID (4 bytes) and 8-byte size.
	clusterHdr = 12
)

// epoch2001 is Matroska's DateUTC origin.
var epoch2001 = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

func createMKV(f File, start time.Time, width, height int) (container, error) {
	m := &mkvWriter{w: f, start: start}
	b := m.header(width, height)
	if _, err := f.Write(b); err != nil {
		return nil, err
	}
	m.size_ = int64(len(b))
	return m, nil
}

// header builds everything before the first cluster and records the
// offsets close patches.
func (m *mkvWriter) header(width, height int) []byte {
	var hdr []byte
	hdr = appendUint(hdr, idEBMLVersion, 1)
	hdr = appendUint(hdr, idEBMLReadVersion, 1)
	hdr = appendUint(hdr, idEBMLMaxIDLength, 4)
	hdr = appendUint(hdr, idEBMLMaxSizeLength, 8)
	hdr = appendString(hdr, idDocType, "matroska")
	hdr = appendUint(hdr, idDocTypeVersion, 4)
	hdr = appendUint(hdr, idDocTypeReadVersion, 2)
	b := appendElem(nil, idEBML, hdr)
	b = appendID(b, idSegment)
	b = append(b, unknownSize...)
	m.segData = int64(len(b))
	b = appendVoid(b, seekHeadSpace)

	m.infoPos = int64(len(b)) - m.segData
	var info []byte
	info = appendUint(info, idTimestampScale, 1000000)
	info = appendString(info, idMuxingApp, muxingApp)
	info = appendString(info, idWritingApp, muxingApp)
	info = appendElem(info, idDateUTC, binary.BigEndian.AppendUint64(nil, uint64(m.start.Sub(epoch2001).Nanoseconds())))
	durAt := len(info) + 3 // Duration ID (2 bytes) + size (1 byte)
	info = appendFloat(info, idDuration, 0)
	infoHdr := appendSize(appendID(nil, idInfo), uint64(len(info)))
	m.durOff = int64(len(b) + len(infoHdr) + durAt)
	b = append(b, infoHdr...)
	b = append(b, info...)

	m.tracksPos = int64(len(b)) - m.segData
	var video []byte
	video = appendUint(video, idPixelWidth, uint64(width))
	video = appendUint(video, idPixelHeight, uint64(height))
	var track []byte
	track = appendUint(track, idTrackNumber, 1)
	track = appendUint(track, idTrackUID, 1)
	track = appendUint(track, idTrackType, 1)
	track = appendUint(track, idFlagLacing, 0)
	track = appendString(track, idCodecID, "V_MJPEG")
	track = appendElem(track, idVideo, video)
	return appendElem(b, idTracks, appendElem(nil, idTrackEntry, track))
}

func (m *mkvWriter) add(t time.Time, jpeg []byte) {
	ms := max(t.Sub(m.start).Milliseconds(), m.lastMS) // never backwards in a file
	if !m.hasCluster {
		m.clusterMS = ms
		m.hasCluster = true
		// Room for the cluster's ID and an 8-byte size, filled in at flush,
		// so the cluster goes out in one write without another copy.
		m.cluster = append(m.cluster[:0], make([]byte, clusterHdr)...)
		m.cluster = appendUint(m.cluster, idTimestamp, uint64(ms))
		m.blocks, m.blockBytes = m.blocks[:0], 0
	}
	rel := ms - m.clusterMS
	m.cluster = appendID(m.cluster, idSimpleBlock)
	m.cluster = appendSize(m.cluster, uint64(len(jpeg)+4))
	m.cluster = append(m.cluster, 0x81, byte(rel>>8), byte(rel), 0x80)
	m.blocks = append(m.blocks, block{at: len(m.cluster), jpeg: jpeg})
	m.blockBytes += int64(len(jpeg))
	m.lastMS = ms
	m.pendingFrames++
}

func (m *mkvWriter) needsCut(t time.Time) bool {
	return m.hasCluster && t.Sub(m.start).Milliseconds()-m.clusterMS > maxClusterSpanMS
}

func (m *mkvWriter) pending() int64 {
	if !m.hasCluster {
		return 0
	}
	return int64(len(m.cluster)) + m.blockBytes
}

func (m *mkvWriter) reserve() int64 {
	return int64(len(m.cues)+1)*cueBytes + closeOverhead
}

func (m *mkvWriter) size() int64       { return m.size_ }
func (m *mkvWriter) frameCount() int64 { return m.frames }

func (m *mkvWriter) end() time.Time {
	return m.start.Add(time.Duration(m.duration() * float64(time.Millisecond)))
}

// flush writes the cluster being built, if any, as one write.
func (m *mkvWriter) flush() error {
	if !m.hasCluster {
		return nil
	}
	n := m.pending()
	hdr := appendSize8(appendID(m.cluster[:0:0], idCluster), uint64(n-clusterHdr))
	copy(m.cluster, hdr)
	pos := m.size_ - m.segData
	m.vec = m.vec[:0]
	from := 0
	for _, b := range m.blocks {
		m.vec = append(m.vec, m.cluster[from:b.at], b.jpeg)
		from = b.at
	}
	m.vec = append(m.vec, m.cluster[from:])
	if err := writeAll(m.w, m.vec); err != nil {
		return fmt.Errorf("write cluster: %w", err)
	}
	clear(m.vec)
	m.size_ += n
	m.cues = append(m.cues, CuePoint{MS: m.clusterMS, Pos: pos})
	m.frames += m.pendingFrames
	m.discard()
	return nil
}

func (m *mkvWriter) discard() {
	m.hasCluster, m.pendingFrames = false, 0
	// The pictures go back to their pool: hold no reference to them.
	clear(m.blocks)
	m.blocks, m.blockBytes = m.blocks[:0], 0
	if len(m.cues) > 0 {
		m.lastMS = max(m.lastMS, m.cues[len(m.cues)-1].MS)
	}
}

// duration is the segment length in ms, counting the last frame as lasting
// as long as the average gap between frames.
func (m *mkvWriter) duration() float64 {
	if m.frames <= 1 {
		return float64(m.lastMS)
	}
	return float64(m.lastMS) + float64(m.lastMS)/float64(m.frames-1)
}

// close writes the cluster in memory, the Cues and Tags, and patches the
// header.
func (m *mkvWriter) close() error {
	if err := m.flush(); err != nil {
		return err
	}
	cuesPos := m.size_ - m.segData
	var cues []byte
	for _, c := range m.cues {
		var tp []byte
		tp = appendUint(tp, idCueTrack, 1)
		tp = appendUint(tp, idCueClusterPosition, uint64(c.Pos))
		var cp []byte
		cp = appendUint(cp, idCueTime, uint64(c.MS))
		cp = appendElem(cp, idCueTrackPositions, tp)
		cues = appendElem(cues, idCuePoint, cp)
	}
	tail := appendElem(nil, idCues, cues)
	tagsPos := cuesPos + int64(len(tail))
	tail = append(tail, m.tags()...)
	if _, err := m.w.Write(tail); err != nil {
		return fmt.Errorf("write cues: %w", err)
	}
	m.size_ += int64(len(tail))
	return m.patchHeader(cuesPos, tagsPos)
}

// tags records the frame count, so the catalog learns it without reading
// the clusters.
func (m *mkvWriter) tags() []byte {
	var st []byte
	st = appendString(st, idTagName, "NUMBER_OF_FRAMES")
	st = appendString(st, idTagString, strconv.FormatInt(m.frames, 10))
	var tag []byte
	tag = appendElem(tag, idTargets, appendUint(nil, idTagTrackUID, 1))
	tag = appendElem(tag, idSimpleTag, st)
	return appendElem(nil, idTags, appendElem(nil, idTag, tag))
}

func (m *mkvWriter) patchHeader(cuesPos, tagsPos int64) error {
	var sh []byte
	for _, s := range []struct {
		id  uint32
		pos int64
	}{{idInfo, m.infoPos}, {idTracks, m.tracksPos}, {idCues, cuesPos}, {idTags, tagsPos}} {
		var e []byte
		e = appendElem(e, idSeekID, appendID(nil, s.id))
		e = appendUint8(e, idSeekPosition, uint64(s.pos))
		sh = appendElem(sh, idSeek, e)
	}
	sh = appendElem(nil, idSeekHead, sh)
	sh = appendVoid(sh, seekHeadSpace-len(sh))
	patches := []struct {
		off int64
		b   []byte
	}{
		{m.segData, sh},
		{m.durOff, binary.BigEndian.AppendUint64(nil, math.Float64bits(m.duration()))},
		{m.segData - 8, appendSize8(nil, uint64(m.size_-m.segData))},
	}
	for _, p := range patches {
		if _, err := m.w.Seek(p.off, io.SeekStart); err != nil {
			return fmt.Errorf("patch header: %w", err)
		}
		if _, err := m.w.Write(p.b); err != nil {
			return fmt.Errorf("patch header: %w", err)
		}
	}
	_, err := m.w.Seek(m.size_, io.SeekStart)
	return err
}
