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
	Name string `json:"name"`
	// Start is the capture time of the first frame (to the second when
	// only the name is known).
	Start time.Time `json:"start"`
	// End is the capture time just after the last frame; zero if unknown.
	End time.Time `json:"end,omitzero"`
	// Frames is the number of frames; 0 if unknown.
	Frames int64 `json:"frames"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// Recording is true for the segment being written now.
	Recording bool `json:"recording"`
}

// Duration is End-Start, or 0 when the end is unknown.
func (s Segment) Duration() time.Duration {
	if s.End.IsZero() {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Catalog is the list of segments on disk, oldest first, with a running
// total so retention costs O(1) per decision even with 100,000 segments.
// It is safe for concurrent use: the recorder changes it while the web
// interface reads it.
type Catalog struct {
	mu    sync.RWMutex
	segs  []Segment // oldest first
	head  int       // segs[:head] are deleted; compacted lazily
	byNm  map[string]int
	total int64
	// Foreign lists files in the data directory that are not segments.
	foreign []string
}

// List returns a copy of the segments, newest first.
func (c *Catalog) List() []Segment {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := slices.Clone(c.segs[c.head:])
	slices.Reverse(out)
	return out
}

// Len is the number of segments.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.segs) - c.head
}

// Lookup returns the segment with the given file name.
func (c *Catalog) Lookup(name string) (Segment, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, ok := c.byNm[name]
	if !ok {
		return Segment{}, false
	}
	return c.segs[i], true
}

// TotalBytes is the sum of all segment sizes.
func (c *Catalog) TotalBytes() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.total
}

// Foreign returns the names of files in the data directory that are not
// unicam segments; they are left alone and not counted.
func (c *Catalog) Foreign() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.foreign)
}

func (c *Catalog) set(segs []Segment, foreign []string) {
	slices.SortFunc(segs, func(a, b Segment) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Name, b.Name))
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.segs, c.head, c.total, c.foreign = segs, 0, 0, foreign
	c.reindex()
}

// reindex rebuilds the name index and total; called with mu held.
func (c *Catalog) reindex() {
	c.byNm = make(map[string]int, len(c.segs)-c.head)
	c.total = 0
	for i := c.head; i < len(c.segs); i++ {
		c.byNm[c.segs[i].Name] = i
		c.total += c.segs[i].Size
	}
}

func (c *Catalog) add(s Segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byNm == nil {
		c.byNm = map[string]int{}
	}
	c.segs = append(c.segs, s)
	c.byNm[s.Name] = len(c.segs) - 1
	c.total += s.Size
}

// update replaces the entry named old with s.
func (c *Catalog) update(old string, s Segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.byNm[old]
	if !ok {
		return
	}
	c.total += s.Size - c.segs[i].Size
	c.segs[i] = s
	if old != s.Name {
		delete(c.byNm, old)
		c.byNm[s.Name] = i
	}
}

// oldestClosed returns the oldest segment that is not being recorded.
func (c *Catalog) oldestClosed() (Segment, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i := c.head; i < len(c.segs); i++ {
		if !c.segs[i].Recording {
			return c.segs[i], true
		}
	}
	return Segment{}, false
}

// remove deletes the entry named name. Removing the oldest, as retention
// does, is O(1); the slice is compacted once half of it is dead.
func (c *Catalog) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.byNm[name]
	if !ok {
		return
	}
	c.total -= c.segs[i].Size
	delete(c.byNm, name)
	if i == c.head {
		c.segs[i] = Segment{}
		c.head++
	} else {
		c.segs = slices.Delete(c.segs, i, i+1)
		for j := i; j < len(c.segs); j++ {
			c.byNm[c.segs[j].Name] = j
		}
	}
	if c.head > 1024 && c.head > len(c.segs)/2 {
		c.segs = slices.Clone(c.segs[c.head:])
		c.head = 0
		c.reindex()
	}
}
