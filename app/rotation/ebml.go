package rotation

import (
	"encoding/binary"
	"math"
)

// Matroska element IDs used by the writer (IDs keep their marker bits).
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285
	idSegment            = 0x18538067
	idSeekHead           = 0x114D9B74
	idSeek               = 0x4DBB
	idSeekID             = 0x53AB
	idSeekPosition       = 0x53AC
	idVoid               = 0xEC
	idInfo               = 0x1549A966
	idTimestampScale     = 0x2AD7B1
	idDuration           = 0x4489
	idDateUTC            = 0x4461
	idMuxingApp          = 0x4D80
	idWritingApp         = 0x5741
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackUID           = 0x73C5
	idTrackType          = 0x83
	idFlagLacing         = 0x9C
	idCodecID            = 0x86
	idVideo              = 0xE0
	idPixelWidth         = 0xB0
	idPixelHeight        = 0xBA
	idCluster            = 0x1F43B675
	idTimestamp          = 0xE7
	idSimpleBlock        = 0xA3
	idCues               = 0x1C53BB6B
	idCuePoint           = 0xBB
	idCueTime            = 0xB3
	idCueTrackPositions  = 0xB7
	idCueTrack           = 0xF7
	idCueClusterPosition = 0xF1
)

// unknownSize is the 8-byte EBML size meaning "until the parent ends"; the
// segment keeps it until close, so a file cut off at any cluster boundary
// is still a valid Matroska stream.
var unknownSize = []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// appendSize writes n as the shortest EBML variable-size integer.
func appendSize(b []byte, n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < (1<<(7*l))-1 {
			v := n | 1<<(7*l)
			for i := l - 1; i >= 0; i-- {
				b = append(b, byte(v>>(8*i)))
			}
			return b
		}
	}
	panic("ebml: size too large")
}

// appendSize8 writes n as an 8-byte EBML size, for sizes patched later.
func appendSize8(b []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(b, n|1<<56)
}

func appendElem(b []byte, id uint32, payload []byte) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(payload)))
	return append(b, payload...)
}

func appendUint(b []byte, id uint32, v uint64) []byte {
	var p []byte
	for i := 7; i > 0; i-- {
		if v>>(8*i) != 0 {
			p = binary.BigEndian.AppendUint64(nil, v)[7-i:]
			break
		}
	}
	if p == nil {
		p = []byte{byte(v)}
	}
	return appendElem(b, id, p)
}

// appendUint8 writes an unsigned element with a fixed 8-byte payload.
func appendUint8(b []byte, id uint32, v uint64) []byte {
	return appendElem(b, id, binary.BigEndian.AppendUint64(nil, v))
}

func appendFloat(b []byte, id uint32, v float64) []byte {
	return appendElem(b, id, binary.BigEndian.AppendUint64(nil, math.Float64bits(v)))
}

func appendString(b []byte, id uint32, s string) []byte {
	return appendElem(b, id, []byte(s))
}

// appendVoid fills exactly n bytes (n >= 2) with a Void element.
func appendVoid(b []byte, n int) []byte {
	if n < 2 {
		panic("ebml: void shorter than 2 bytes")
	}
	if n-2 < 127 {
		b = append(b, idVoid, byte(0x80|(n-2)))
		return append(b, make([]byte, n-2)...)
	}
	b = append(b, idVoid)
	b = appendSize8(b, uint64(n-9))
	return append(b, make([]byte, n-9)...)
}

// Element IDs of the Tags written at close.
const (
	idTags        = 0x1254C367
	idTag         = 0x7373
	idTargets     = 0x63C0
	idTagTrackUID = 0x63C5
	idSimpleTag   = 0x67C8
	idTagName     = 0x45A3
	idTagString   = 0x4487
)
