package rotation

import (
	"bytes"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// iovMax is the most buffers one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// writeAll writes bufs in order. A real file gets them
// with writev, straight from the frames' buffers; any other File (a test
// seam) gets them joined into one Write, as a real file would see one
// write call.
func writeAll(w File, bufs [][]byte) error {
	f, ok := w.(*os.File)
	if !ok {
		b := bytes.Join(bufs, nil)
		_, err := w.Write(b)
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		werr = writev(int(fd), f.Name(), bufs)
		return true
	})
	return errors.Join(err, werr)
}

// writev writes every byte of bufs to fd, resuming after partial writes
// and EINTR.
func writev(fd int, name string, bufs [][]byte) error {
	for len(bufs) > 0 {
		chunk := bufs[:min(len(bufs), iovMax)]
		n, err := unix.Writev(fd, chunk)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "writev", Path: name, Err: err}
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		bufs = advance(bufs, n)
	}
	return nil
}

// advance drops the first n bytes of bufs.
func advance(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			bufs[0] = bufs[0][n:]
			return bufs
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	for len(bufs) > 0 && len(bufs[0]) == 0 {
		bufs = bufs[1:]
	}
	return bufs
}
