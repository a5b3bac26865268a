// Package gobuild compiles the image's Go programs for the guest:
// reproducible (-trimpath, an empty build ID), stripped and static.
package gobuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The image's programs, as package directories relative to the
// repository root.
const (
	Init = "runtime/cmd/init"
	App  = "app/cmd/camera"
)

// Build compiles each command into dir and returns the binaries' paths,
// in order. The Go build cache makes a warm rebuild take seconds; u-root's
// own builder forces -a (a full rebuild every time) and disables
// inlining, so the initramfs is handed these binaries instead.
func Build(repo, dir string, cmds []string) ([]string, error) {
	var out []string
	for _, c := range cmds {
		bin := filepath.Join(dir, filepath.Base(c))
		cmd := exec.Command("go", append(append([]string{"build"}, Flags(c)...), "-o", bin, "./"+c)...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED="+map[bool]string{true: "1", false: "0"}[usesCgo(c)])
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", c, err, b)
		}
		out = append(out, bin)
	}
	return out, nil
}

// cgoCommands link C libraries: the camera encodes webcam frames with
// libjpeg-turbo. They are linked statically (the image has no libc), with
// Go's own DNS resolver and user lookup.
var cgoCommands = map[string]bool{App: true}

func usesCgo(c string) bool { return cgoCommands[c] }

// Flags are go build's flags for command c: reproducible, stripped, and
// static.
func Flags(c string) []string {
	if !usesCgo(c) {
		return []string{"-trimpath", "-ldflags=-s -w -buildid="}
	}
	return []string{"-trimpath", "-tags=netgo,osusergo", "-ldflags=-s -w -buildid= -linkmode=external -extldflags=-static"}
}
