// Command init is PID 1 of the unicam image: it runs the boot steps,
// supervises the camera app and carries out power requests.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintf(os.Stdout, "unicam: %v\n", err)
	}
	// PID 1 must never exit: the kernel would panic.
	for {
		time.Sleep(time.Hour)
	}
}
