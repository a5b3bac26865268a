package rotation

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteAllVectored writes more buffers than one writev takes, of
// uneven sizes, to a real file and to a seam, and reads back the same
// bytes in the same order.
func TestWriteAllVectored(t *testing.T) {
	var bufs [][]byte
	var want []byte
	for i := range 2500 {
		b := bytes.Repeat([]byte{byte(i)}, i%7)
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "v"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeAll(f, bufs); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, want %d in order", len(got), len(want))
	}
}

func TestAdvance(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "ab|cde|f"}, {1, "b|cde|f"}, {2, "cde|f"}, {4, "e|f"}, {5, "f"}, {6, ""}} {
		got := advance([][]byte{[]byte("ab"), []byte("cde"), []byte("f")}, c.n)
		if s := string(bytes.Join(got, []byte("|"))); s != c.want {
			t.Errorf("advance %d: %q, want %q", c.n, s, c.want)
		}
	}
}
