package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// bootTime is when the machine booted: now less the time since boot,
// suspend included (CLOCK_BOOTTIME). Zero if the clock cannot be read.
func bootTime() time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}
	}
	return time.Now().Add(-time.Duration(ts.Nano()))
}
