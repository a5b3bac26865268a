//go:build !linux

package rotation

import "errors"

func statfs(string) (uint64, uint64, error) {
	return 0, 0, errors.New("free space unknown on this system")
}
