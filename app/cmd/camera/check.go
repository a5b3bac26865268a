package main

import (
	"fmt"
	"io"
	"log"
	"strings"
)

// CheckEachFlag makes the app check each setting on its own, print the
// rejected ones and exit, without recording or serving. The runtime uses
// it to drop bad keys (falling back to their defaults) instead of letting
// one typo stop recording.
const CheckEachFlag = "-check-each"

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

// checkEach prints "key<TAB>reason" for every -key=value in args that is
// rejected on top of the defaults.
func checkEach(args []string, out io.Writer) {
	for _, a := range args {
		key, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		c, err := parseFlags([]string{a}, io.Discard)
		if err == nil {
			err = checkConfig(c)
		}
		if err != nil {
			fmt.Fprintf(out, "%s\t%s\n", key, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
}
