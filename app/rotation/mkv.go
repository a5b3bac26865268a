package rotation

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// mkvWriter writes one Matroska file holding a single V_MJPEG track.
//
// Layout: EBML header, a Segment of unknown size, a SeekHead reserved as
// Void, Info, Tracks, then Clusters. Each cluster is built in memory and
// written whole, so a crash loses at most the cluster being built. Close
// adds Cues, fills in the SeekHead, the Duration and the Segment size.
type mkvWriter struct {
	w          io.WriteSeeker
	start      time.Time
	segData    int64 // file offset where the Segment's payload begins
	seekOff    int64 // offset of the reserved SeekHead space
	durOff     int64 // offset of the Duration payload
	infoPos    int64 // Info position relative to segData
	tracksPos  int64
	size       int64 // bytes written so far
	cluster    []byte
	clusterMS  int64
	hasCluster bool
	cues       []cuePoint
	lastMS     int64
	frames     int64
}

type cuePoint struct{ ms, pos int64 }

const (
	seekHeadSpace = 80
	muxingApp     = "unicam"
	// maxClusterSpanMS keeps block offsets inside their signed 16-bit range.
	maxClusterSpanMS = 30000
	// cueBytes bounds what one cue point adds to the file at close.
	cueBytes = 40
	// closeOverhead bounds the Cues header written at close.
	closeOverhead = 16
)

// epoch2001 is Matroska's DateUTC origin.
var epoch2001 = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

func newMKVWriter(w io.WriteSeeker, start time.Time, width, height int) (*mkvWriter, error) {
	m := &mkvWriter{w: w, start: start}
	var b []byte
	var hdr []byte
	hdr = appendUint(hdr, idEBMLVersion, 1)
	hdr = appendUint(hdr, idEBMLReadVersion, 1)
	hdr = appendUint(hdr, idEBMLMaxIDLength, 4)
	hdr = appendUint(hdr, idEBMLMaxSizeLength, 8)
	hdr = appendString(hdr, idDocType, "matroska")
	hdr = appendUint(hdr, idDocTypeVersion, 4)
	hdr = appendUint(hdr, idDocTypeReadVersion, 2)
	b = appendElem(b, idEBML, hdr)
	b = appendID(b, idSegment)
	b = append(b, unknownSize...)
	m.segData = int64(len(b))
	m.seekOff = int64(len(b))
	b = appendVoid(b, seekHeadSpace)

	m.infoPos = int64(len(b)) - m.segData
	var info []byte
	info = appendUint(info, idTimestampScale, 1000000)
	info = appendString(info, idMuxingApp, muxingApp)
	info = appendString(info, idWritingApp, muxingApp)
	info = appendElem(info, idDateUTC, binary.BigEndian.AppendUint64(nil, uint64(start.Sub(epoch2001).Nanoseconds())))
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
	b = appendElem(b, idTracks, appendElem(nil, idTrackEntry, track))
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	m.size = int64(len(b))
	return m, nil
}

// add buffers one frame captured at t. It reports whether the cluster in
// memory must be written before the frame fits (span or size exceeded).
func (m *mkvWriter) add(t time.Time, jpeg []byte) {
	ms := t.Sub(m.start).Milliseconds()
	if ms < m.lastMS {
		ms = m.lastMS // timestamps never run backwards inside a file
	}
	if !m.hasCluster {
		m.clusterMS = ms
		m.hasCluster = true
		m.cluster = m.cluster[:0]
		m.cluster = appendUint(m.cluster, idTimestamp, uint64(ms))
	}
	rel := ms - m.clusterMS
	m.cluster = appendID(m.cluster, idSimpleBlock)
	m.cluster = appendSize(m.cluster, uint64(len(jpeg)+4))
	m.cluster = append(m.cluster, 0x81, byte(rel>>8), byte(rel), 0x80)
	m.cluster = append(m.cluster, jpeg...)
	m.lastMS = ms
	m.frames++
}

// needsCut reports whether a frame at t cannot join the current cluster.
func (m *mkvWriter) needsCut(t time.Time) bool {
	return m.hasCluster && t.Sub(m.start).Milliseconds()-m.clusterMS > maxClusterSpanMS
}

// pending is the number of bytes flush would write now.
func (m *mkvWriter) pending() int64 {
	if !m.hasCluster {
		return 0
	}
	return int64(len(m.cluster)) + 12
}

// reserve is what Close will still add to the file beyond pending bytes.
func (m *mkvWriter) reserve() int64 {
	return int64(len(m.cues)+1)*cueBytes + closeOverhead
}

// flush writes the cluster being built, if any, as one write.
func (m *mkvWriter) flush() error {
	if !m.hasCluster {
		return nil
	}
	hdr := appendSize(appendID(nil, idCluster), uint64(len(m.cluster)))
	buf := append(hdr, m.cluster...)
	pos := m.size - m.segData
	if _, err := m.w.Write(buf); err != nil {
		return fmt.Errorf("write cluster: %w", err)
	}
	m.size += int64(len(buf))
	m.cues = append(m.cues, cuePoint{ms: m.clusterMS, pos: pos})
	m.hasCluster = false
	return nil
}

// duration is the segment length in ms, counting the last frame as lasting
// as long as the average gap between frames.
func (m *mkvWriter) duration() float64 {
	if m.frames <= 1 {
		return float64(m.lastMS)
	}
	return float64(m.lastMS) + float64(m.lastMS)/float64(m.frames-1)
}

// close writes the cluster in memory, the Cues, and patches the header.
func (m *mkvWriter) close() error {
	if err := m.flush(); err != nil {
		return err
	}
	cuesPos := m.size - m.segData
	var cues []byte
	for _, c := range m.cues {
		var tp []byte
		tp = appendUint(tp, idCueTrack, 1)
		tp = appendUint(tp, idCueClusterPosition, uint64(c.pos))
		var cp []byte
		cp = appendUint(cp, idCueTime, uint64(c.ms))
		cp = appendElem(cp, idCueTrackPositions, tp)
		cues = appendElem(cues, idCuePoint, cp)
	}
	if _, err := m.w.Write(appendElem(nil, idCues, cues)); err != nil {
		return fmt.Errorf("write cues: %w", err)
	}
	m.size += int64(len(appendElem(nil, idCues, cues)))
	return m.patchHeader(cuesPos)
}

func (m *mkvWriter) patchHeader(cuesPos int64) error {
	var sh []byte
	for _, s := range []struct {
		id  uint32
		pos int64
	}{{idInfo, m.infoPos}, {idTracks, m.tracksPos}, {idCues, cuesPos}} {
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
		{m.seekOff, sh},
		{m.durOff, binary.BigEndian.AppendUint64(nil, math.Float64bits(m.duration()))},
		{m.segData - 8, appendSize8(nil, uint64(m.size-m.segData))},
	}
	for _, p := range patches {
		if _, err := m.w.Seek(p.off, io.SeekStart); err != nil {
			return fmt.Errorf("patch header: %w", err)
		}
		if _, err := m.w.Write(p.b); err != nil {
			return fmt.Errorf("patch header: %w", err)
		}
	}
	_, err := m.w.Seek(m.size, io.SeekStart)
	return err
}
