package images

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(broadcastEnv); args != "" {
		listen, source, _ := strings.Cut(args, " ")
		fmt.Fprintln(os.Stderr, broadcastMain(listen, source))
		os.Exit(1)
	}
	code := m.Run()
	if bakeOut != "" {
		os.RemoveAll(bakeOut)
	}
	os.Exit(code)
}
