package power

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func event(typ, code uint16, value int32) []byte {
	b := make([]byte, eventSize)
	binary.LittleEndian.PutUint16(b[16:], typ)
	binary.LittleEndian.PutUint16(b[18:], code)
	binary.LittleEndian.PutUint32(b[20:], uint32(value))
	return b
}

func TestWaitPowerKey(t *testing.T) {
	var stream []byte
	stream = append(stream, event(evKey, 30, 1)...)       // KEY_A
	stream = append(stream, event(evKey, keyPower, 0)...) // release only
	stream = append(stream, event(0, 0, 0)...)            // SYN
	if err := WaitPowerKey(bytes.NewReader(stream)); !errors.Is(err, io.EOF) {
		t.Errorf("no press: got %v, want EOF", err)
	}
	stream = append(stream, event(evKey, keyPower, 1)...)
	if err := WaitPowerKey(bytes.NewReader(stream)); err != nil {
		t.Errorf("press: got %v, want nil", err)
	}
	if err := WaitPowerKey(bytes.NewReader(make([]byte, 10))); !errors.Is(err, ErrShortEvent) {
		t.Errorf("short: got %v", err)
	}
}

func FuzzIsPowerPress(f *testing.F) {
	f.Add(event(evKey, keyPower, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		if IsPowerPress(b) && len(b) < eventSize {
			t.Fatal("short event accepted")
		}
	})
}
