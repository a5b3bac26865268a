// Package power turns every power request (the ACPI power button, signals,
// Ctrl-Alt-Del) into one Action, and carries it out through one function
// that stops the app, syncs, unmounts and powers off or reboots.
package power

import (
	"encoding/binary"
	"errors"
	"io"
)

// Action is what a power request asks for.
type Action int

// The power actions.
const (
	PowerOff Action = iota
	Reboot
)

func (a Action) String() string {
	if a == Reboot {
		return "reboot"
	}
	return "power-off"
}

// Linux input event constants (linux/input-event-codes.h).
const (
	evKey    = 0x01
	keyPower = 116
	// eventSize is sizeof(struct input_event) on 64-bit kernels.
	eventSize = 24
)

// ErrShortEvent means the input device returned a partial event.
var ErrShortEvent = errors.New("short input event")

// WaitPowerKey reads input events from r until a power key press, which
// returns nil, or a read error.
func WaitPowerKey(r io.Reader) error {
	buf := make([]byte, eventSize*16)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return err
		}
		if n%eventSize != 0 {
			return ErrShortEvent
		}
		for off := 0; off < n; off += eventSize {
			if IsPowerPress(buf[off : off+eventSize]) {
				return nil
			}
		}
	}
}

// IsPowerPress reports whether one raw input_event is KEY_POWER going down.
func IsPowerPress(ev []byte) bool {
	if len(ev) < eventSize {
		return false
	}
	typ := binary.LittleEndian.Uint16(ev[16:])
	code := binary.LittleEndian.Uint16(ev[18:])
	value := int32(binary.LittleEndian.Uint32(ev[20:]))
	return typ == evKey && code == keyPower && value == 1
}
