// Command trivialinit is the smallest init there is: it prints a marker
// and powers off. The boot benchmark times the same kernel reaching it, as
// the baseline for the appliance's boot to its first HTTP answer.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	fmt.Fprintln(os.Stdout, "TRIVIAL-INIT-UP")
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
