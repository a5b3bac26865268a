// Package capture holds unicam's frame sources and the fan-out hub that
// carries their frames to the recorder and to live viewers.
package capture

import (
	"context"
	"time"
)

// Frame is one captured picture. A Frame is shared between consumers and
// must be treated as read-only once a source has emitted it.
//
// A frame handed to emit or received from a Subscription is valid until the
// receiver calls Release; one kept longer is Retained first (the Hub does
// this for every subscriber it delivers to).
type Frame struct {
	refcount

	// JPEG is the complete JPEG image, SOI to EOI.
	JPEG []byte
	// Time is when the frame was captured, by the source's clock.
	Time time.Time
	// Seq counts frames from 1 within one source run.
	Seq uint64
	// Width and Height are the picture size in pixels.
	Width, Height int
}

// Source produces frames until its context ends or it fails.
//
// Run calls emit for every frame from a single goroutine; emit must not
// block for long (the hub it usually feeds never does). The frame is valid
// during the call: emit Retains it to keep it longer.
type Source interface {
	// Name identifies the source in logs and on the status page, without
	// credentials.
	Name() string
	// Run captures until ctx is done (returning nil) or a fatal error.
	Run(ctx context.Context, emit func(*Frame)) error
}
