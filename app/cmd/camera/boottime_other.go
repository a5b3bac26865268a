//go:build !linux

package main

import "time"

// bootTime is unknown off Linux.
func bootTime() time.Time { return time.Time{} }
