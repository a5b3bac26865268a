package images

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bakeOut != "" {
		os.RemoveAll(bakeOut)
	}
	os.Exit(code)
}
