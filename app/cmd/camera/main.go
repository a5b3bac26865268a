// Command camera is the unicam recorder: it captures frames, writes them
// into rotating segment files and serves the web interface. It runs the
// same on a laptop and as the appliance's one app.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "camera: %v\n", err)
		os.Exit(exitCode(err))
	}
}
