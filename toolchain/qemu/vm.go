package qemu

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ErrStillRunning means the guest did not power off within the deadline.
var ErrStillRunning = errors.New("guest still running")

// VM is a running QEMU process.
type VM struct {
	cmd  *exec.Cmd
	qmp  string
	done chan struct{}
	err  error
}

// Start runs QEMU for c. Console output goes to stdout when c.Serial is
// stdio. QEMU gets its own process group and no terminal input, so a
// Ctrl-C reaches the launcher, which powers the guest down cleanly.
func Start(c Config, stdout io.Writer) (*VM, error) {
	argv := Args(c)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w (run scripts/install-deps.sh)", argv[0], err)
	}
	vm := &VM{cmd: cmd, qmp: c.QMP, done: make(chan struct{})}
	go func() {
		vm.err = cmd.Wait()
		close(vm.done)
	}()
	return vm, nil
}

// Done is closed when QEMU has exited.
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Err is QEMU's exit status, once Done is closed.
func (vm *VM) Err() error { return vm.err }

// Powerdown presses the ACPI power button over QMP and waits up to
// timeout for QEMU to exit by itself.
func (vm *VM) Powerdown(timeout time.Duration) error {
	q, err := DialQMP(vm.qmp, 5*time.Second)
	if err != nil {
		return err
	}
	defer q.Close()
	if err := q.Execute("system_powerdown"); err != nil {
		return err
	}
	select {
	case <-vm.done:
		return vm.err
	case <-time.After(timeout):
		return fmt.Errorf("%w %v after system_powerdown", ErrStillRunning, timeout)
	}
}

// Kill ends QEMU at once, like pulling the plug.
func (vm *VM) Kill() {
	_ = vm.cmd.Process.Kill()
	<-vm.done
}

// QMP connects to the VM's QMP socket, for tests that watch events.
func (vm *VM) QMP() (*QMP, error) { return DialQMP(vm.qmp, 5*time.Second) }
