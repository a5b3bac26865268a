package rotation

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Segment describes one recording file in the data directory.
type Segment struct {
	// Name is the file name inside the data directory.
	Name string
	// Start is the capture time of the segment's first frame, to the second.
	Start time.Time
	// Size is the file size in bytes.
	Size int64
	// Recording is true for the segment being written now.
	Recording bool
}

// Catalog is the list of segments on disk, oldest first. It is safe for
// concurrent use: the recorder changes it while the web interface reads it.
type Catalog struct {
	mu   sync.RWMutex
	segs []Segment
}

// List returns a copy of the segments, newest first.
func (c *Catalog) List() []Segment {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := slices.Clone(c.segs)
	slices.Reverse(out)
	return out
}

// Lookup returns the segment with the given file name.
func (c *Catalog) Lookup(name string) (Segment, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.segs {
		if s.Name == name {
			return s, true
		}
	}
	return Segment{}, false
}

// TotalBytes is the sum of all segment sizes.
func (c *Catalog) TotalBytes() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var n int64
	for _, s := range c.segs {
		n += s.Size
	}
	return n
}

func (c *Catalog) set(segs []Segment) {
	slices.SortFunc(segs, func(a, b Segment) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Name, b.Name))
	})
	c.mu.Lock()
	c.segs = segs
	c.mu.Unlock()
}

func (c *Catalog) add(s Segment) {
	c.mu.Lock()
	c.segs = append(c.segs, s)
	c.mu.Unlock()
}

// update replaces the entry named old with s.
func (c *Catalog) update(old string, s Segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.segs {
		if c.segs[i].Name == old {
			c.segs[i] = s
			return
		}
	}
}

// oldestClosed returns the oldest segment that is not being recorded.
func (c *Catalog) oldestClosed() (Segment, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.segs {
		if !s.Recording {
			return s, true
		}
	}
	return Segment{}, false
}

func (c *Catalog) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.segs = slices.DeleteFunc(c.segs, func(s Segment) bool { return s.Name == name })
}
