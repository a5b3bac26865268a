package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Values
		err  error
	}{
		{"console=ttyS0 quiet", Values{}, nil},
		{"console=ttyS0 unicam.segment=10s unicam.fps=2", Values{"segment": "10s", "fps": "2"}, nil},
		{`unicam.hostname="cam 1" panic=-1`, Values{"hostname": "cam 1"}, nil},
		{"unicam.ip=192.0.2.10/24,gw=192.0.2.1", Values{"ip": "192.0.2.10/24,gw=192.0.2.1"}, nil},
		{"unicam.broken", Values{}, ErrSyntax},
		{"unicam.Bad=1", Values{}, ErrSyntax},
	} {
		got, err := ParseCmdline(tc.in)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseCmdline(%q) error = %v, want %v", tc.in, err, tc.err)
			continue
		}
		if tc.err == nil && !equal(got, tc.want) {
			t.Errorf("ParseCmdline(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	in := "# camera\nsegment = 1h\n\nunicam.fps=10\n"
	got, err := ParseFile("unicam.conf", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Values{"segment": "1h", "fps": "10"}); !equal(got, want) {
		t.Errorf("ParseFile = %v, want %v", got, want)
	}
	_, err = ParseFile("unicam.conf", strings.NewReader("fps 10\n"))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "unicam.conf line 1") {
		t.Errorf("ParseFile(bad) = %v, want a syntax error naming the file and line", err)
	}
}

func TestMergeAndAppArgs(t *testing.T) {
	v := Merge(Values{"segment": "1h", "ip": "dhcp"}, Values{"segment": "10m"}, Values{"fps": "2"})
	got := v.AppArgs()
	want := []string{"-fps=2", "-segment=10m"}
	if !slices.Equal(got, want) {
		t.Errorf("AppArgs = %q, want %q", got, want)
	}
}

func FuzzParseCmdline(f *testing.F) {
	f.Add("console=ttyS0 unicam.segment=10s")
	f.Add(`unicam.hostname="a b" unicam.x`)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseCmdline(s)
		if err != nil {
			return
		}
		for k := range v {
			if !validKey(k) {
				t.Fatalf("invalid key %q accepted", k)
			}
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add("segment=1h\n# c\n")
	f.Add("=\n")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFile("f", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, a := range v.AppArgs() {
			if !strings.HasPrefix(a, "-") {
				t.Fatalf("bad arg %q", a)
			}
		}
	})
}

func equal(a, b Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRedacted(t *testing.T) {
	got := Redacted([]string{"-camera-password=hunter2", "-fps=5", "-web-secret=x"})
	want := []string{"-camera-password=***", "-fps=5", "-web-secret=***"}
	if !slices.Equal(got, want) {
		t.Errorf("Redacted = %q, want %q", got, want)
	}
}
