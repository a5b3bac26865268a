// Command init is PID 1 of the unicam image: it runs the boot steps,
// supervises the camera app and carries out power requests.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"unicam/runtime/power"
)

func main() {
	// The kernel runs /sbin/poweroff for Xen's xl shutdown (and users may
	// run reboot): as those, this binary only asks PID 1 to do it.
	if os.Getpid() != 1 {
		if err := power.Helper(filepath.Base(os.Args[0])); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintf(os.Stdout, "unicam: %v\n", err)
	}
	// PID 1 must never exit: the kernel would panic.
	for {
		time.Sleep(time.Hour)
	}
}
