package main

import (
	"fmt"
	"io"
	"log"
	"strings"
)

// LenientFlag, given first, makes the app check each setting on its own
// and drop the rejected ones with a log line naming each, so their
// defaults are used. The runtime starts the app with it: one typo in a
// config file never stops recording.
const LenientFlag = "-lenient"

// checkConfig validates every setting without side effects.
func checkConfig(c *config) error {
	quiet := log.New(io.Discard, "", 0)
	if _, err := newSource(c, quiet); err != nil {
		return err
	}
	rc, err := rotationConfig(c, quiet)
	if err != nil {
		return err
	}
	if err := rc.Validate(); err != nil {
		return err
	}
	switch {
	case c.Web.TLS != "off" && c.Web.TLS != "on":
		return fmt.Errorf("-tls %q: accepted values: off, on", c.Web.TLS)
	case c.Web.Password != "" && len(c.Web.Password) < 8:
		return fmt.Errorf("-password: shorter than 8 characters")
	case c.Web.MaxViewers < 1:
		return fmt.Errorf("-max-viewers %d: want at least 1", c.Web.MaxViewers)
	}
	return nil
}

// dropRejected returns args without each -key=value that is rejected on
// top of the defaults, logging "config: unicam.KEY ignored" with the
// reason (the runtime's name for the key; the value is not repeated, as it
// may be a password).
func dropRejected(args []string, logger *log.Logger) []string {
	var keep []string
	for _, a := range args {
		key, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		c, err := parseFlags([]string{a}, io.Discard)
		if err == nil {
			err = checkConfig(c)
		}
		if err != nil {
			logger.Printf("config: unicam.%s ignored, default used: %s", key, strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		keep = append(keep, a)
	}
	return keep
}
