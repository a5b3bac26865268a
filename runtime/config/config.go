// Package config reads the appliance configuration: defaults baked into
// the image, then /data/unicam.conf, then unicam.* keys on the kernel
// command line, each overriding the one before. The runtime keeps its own
// keys and hands every other key to the app as a flag.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Prefix marks unicam's keys on the kernel command line.
const Prefix = "unicam."

// ErrSyntax marks a line or word that is not key=value.
var ErrSyntax = errors.New("config syntax")

// Runtime keys: consumed by the runtime, never passed to the app.
const (
	KeyIP       = "ip"
	KeyHostname = "hostname"
	KeyDisk     = "disk"
	// KeyNTP lists NTP servers (host or host:port, comma-separated).
	KeyNTP = "ntp"
)

var runtimeKeys = []string{KeyIP, KeyHostname, KeyDisk, KeyNTP}

// Values is a set of key=value settings, keys without the unicam. prefix.
type Values map[string]string

// ParseCmdline extracts unicam.key=value words from a kernel command line.
// Other words belong to the kernel and are ignored; double quotes group a
// value with spaces, as the kernel does.
func ParseCmdline(cmdline string) (Values, error) {
	v := Values{}
	for _, w := range splitCmdline(cmdline) {
		if !strings.HasPrefix(w, Prefix) {
			continue
		}
		key, val, ok := strings.Cut(strings.TrimPrefix(w, Prefix), "=")
		if !ok || !validKey(key) {
			return v, fmt.Errorf("kernel command line word %q: %w: want unicam.key=value", w, ErrSyntax)
		}
		v[key] = strings.Trim(val, `"`)
	}
	return v, nil
}

func splitCmdline(s string) []string {
	var words []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
			continue
		}
		if r != '"' {
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// ParseFile reads a config file: key=value per line, # comments, blank
// lines ignored. name is used in errors.
func ParseFile(name string, r io.Reader) (Values, error) {
	v := Values{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimPrefix(strings.TrimSpace(key), Prefix)
		if !ok || !validKey(key) {
			return v, fmt.Errorf("%s line %d %q: %w: want key=value", name, n, line, ErrSyntax)
		}
		v[key] = strings.TrimSpace(val)
	}
	if err := sc.Err(); err != nil {
		return v, fmt.Errorf("read %s: %w", name, err)
	}
	return v, nil
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Merge layers: later sets override earlier ones.
func Merge(layers ...Values) Values {
	out := Values{}
	for _, l := range layers {
		maps.Copy(out, l)
	}
	return out
}

// AppArgs turns every key the runtime does not own into an app flag,
// -key=value, sorted so the command line is stable.
func (v Values) AppArgs() []string {
	var args []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if slices.Contains(runtimeKeys, k) {
			continue
		}
		args = append(args, "-"+k+"="+v[k])
	}
	return args
}

// Redacted returns args with the value of every secret flag (a name
// holding "password" or "secret") replaced, for logging.
func Redacted(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		name, _, hasValue := strings.Cut(a, "=")
		lower := strings.ToLower(name)
		if hasValue && (strings.Contains(lower, "password") || strings.Contains(lower, "secret")) {
			a = name + "=***"
		}
		out[i] = a
	}
	return out
}
