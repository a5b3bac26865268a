package rotation

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// File is what a container writes to: the segment file, or a fault
// injector in tests.
type File interface {
	io.Writer
	io.Seeker
	io.ReaderAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

// container turns frames into one segment file of a given format.
type container interface {
	// add buffers a frame; it reaches the file at flush.
	add(t time.Time, jpeg []byte)
	// needsCut reports that a frame at t must start a new cluster.
	needsCut(t time.Time) bool
	// pending is what flush would write now; reserve bounds what close
	// adds beyond it.
	pending() int64
	reserve() int64
	flush() error
	// discard drops the buffered frames.
	discard()
	// close writes the index and trailer. The file stays open.
	close() error
	size() int64
	frameCount() int64
	// end is the capture time just after the last frame.
	end() time.Time
}

// format is one container format.
type format struct {
	ext string
	// create starts a segment whose first frame is at start.
	create func(f File, start time.Time, width, height int) (container, error)
	// repair reads a segment cut off by a crash or a failed write, cuts it
	// back to the last complete unit and returns a container to close it.
	repair func(f File, size int64, start time.Time) (container, error)
	// info reads the facts of a finished segment cheaply, for the catalog.
	info func(f io.ReaderAt, size int64, start time.Time) (end time.Time, frames int64, err error)
}

// Formats lists the container names Config.Container accepts.
var formats = map[string]format{
	"mkv":   {ext: ".mkv", create: createMKV, repair: repairMKV, info: infoMKV},
	"mjpeg": {ext: ".mjpeg", create: createMJPEG, repair: repairMJPEG, info: infoMJPEG},
	"avi":   {ext: ".avi", create: createAVI, repair: repairAVI, info: infoAVI},
}

// FormatNames is the sorted list of accepted container names.
func FormatNames() []string {
	var names []string
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func lookupFormat(name string) (format, error) {
	f, ok := formats[name]
	if !ok {
		return f, fmt.Errorf("container %q: %w: accepted values: %s", name, ErrBadConfig, strings.Join(FormatNames(), ", "))
	}
	return f, nil
}

func formatOfExt(ext string) (format, bool) {
	for _, f := range formats {
		if f.ext == ext {
			return f, true
		}
	}
	return format{}, false
}
