//go:build !linux

package capture

import (
	"context"
	"errors"
	"log"
	"time"
)

// V4L2Camera needs Linux; elsewhere Run fails at once.
type V4L2Camera struct {
	Device        string
	Width, Height int
	FPS           float64
	Quality       int
	Overlay       Overlay
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	Logger        *log.Logger
}

// Name implements Source.
func (c *V4L2Camera) Name() string { return "v4l2 " + c.Device }

// Status implements StatusReporter.
func (c *V4L2Camera) Status() Status { return Status{Source: c.Name(), State: StateStopped} }

// Run implements Source.
func (c *V4L2Camera) Run(context.Context, func(*Frame)) error {
	return errors.New("V4L2 capture needs Linux")
}
