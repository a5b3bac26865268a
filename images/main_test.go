package images

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bakeDir != "" && os.Getenv("UNICAM_IMAGE_DIR") == "" {
		os.RemoveAll(filepath.Dir(bakeDir))
	}
	os.Exit(code)
}
