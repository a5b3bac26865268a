package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/ntpdate"
	"github.com/u-root/u-root/pkg/watchdog"
	"unicam/runtime/boot"
	"unicam/runtime/config"

	"unicam/runtime/disk"
	"unicam/runtime/guard"
	"unicam/runtime/modules"
	"unicam/runtime/mounts"
	"unicam/runtime/netup"
	"unicam/runtime/power"
	"unicam/runtime/supervise"
	"unicam/runtime/sysdisk"

	"golang.org/x/sys/unix"
)

// Paths inside the image.
const (
	appPath = "/bin/camera"
	// initPath is the runtime itself in the initramfs.
	initPath = "/bin/init"
	// handoffEnv carries, across the handover to the system disk's copy
	// of the runtime, when the first one started (Unix nanoseconds).
	handoffEnv = "UNICAM_HANDOFF_START"
	// systemDiskFile, baked into images whose app lives on a read-only
	// system disk, holds that disk's erofs UUID.
	systemDiskFile = "/etc/unicam/system-disk"
	systemDir      = "/system"
	defaultsFile   = "/etc/unicam/defaults.conf"
	dataDir        = "/data"
	dataConfFile   = "/data/unicam.conf"
	bootJSON       = "/run/unicam/boot.json"
	// supervisorJSON tells the app's status page about restarts.
	supervisorJSON = "/run/unicam/supervisor.json"
	// appLog holds the app's last 64 KiB of output for its status page.
	appLog = "/run/unicam/app.log"
	// noDataDir stands in for /data when there is no data disk.
	noDataDir = "/run/unicam/no-data-disk"
	diskLabel = "UNICAM"
	// stopGrace is how long the app gets to finish its open segment.
	stopGrace = 10 * time.Second
)

// initState is what the boot steps hand to each other.
type initState struct {
	console io.Writer
	logf    func(string, ...any)
	cmdline config.Values
	cfg     config.Values
	// app is the camera program: appPath, or on the system disk.
	app string
	// start is when this process began the boot.
	start   time.Time
	hasDisk bool
	diskErr error
	power   <-chan power.Action
	sup     *supervise.Supervisor
	guard   *guard.Guard
	// notes are facts found during boot that the status page shows as
	// extra boot results (a watchdog reset of the previous boot).
	notes []boot.Result
	// netDone is closed when the network step has finished, either way.
	netDone chan struct{}
}

func run(ctx context.Context, console io.Writer) error {
	// Libraries log through the standard logger: u-root's DHCP client
	// prints every lease packet, 25 lines on a serial console that is slow
	// under emulation. The shim reports each outcome itself.
	log.SetOutput(io.Discard)
	lg := log.New(console, "unicam: ", 0)
	st := &initState{console: console, logf: lg.Printf, netDone: make(chan struct{}), app: appPath, start: time.Now()}
	results, err := boot.Run(ctx, st.steps(), console, time.Now)
	writeBootJSON(append(results, st.notes...), st.logf)
	if err != nil {
		st.logf("%v; the appliance stays up so it can be powered off", err)
	}
	if st.power == nil {
		st.power = power.Requests(ctx, st.logf)
	}
	a := <-st.power
	if st.sup == nil {
		st.sup = &supervise.Supervisor{}
	}
	var unmount []string
	if st.hasDisk {
		unmount = append(unmount, dataDir)
	}
	var disarm []func()
	if st.guard != nil {
		disarm = append(disarm, st.guard.Stop)
	}
	return power.Do(a, st.sup, stopGrace, unmount, st.logf, disarm...)
}

// steps is the boot, in order. Only mounts and the app are required: the
// appliance records without network, and the status of a missing disk is
// shown rather than stopping the boot. The network comes up beside the
// rest (the app listens on every address, so it may start first); NTP,
// when configured, waits for it. The power-button watch starts once the
// app runs: on a one-CPU guest it would otherwise take its time from the
// steps the app waits for. A power request in the first moments of boot,
// before the watch starts, is not seen: PID 1 ignores signals it has no
// handler for.
func (st *initState) steps() []boot.Step {
	return []boot.Step{
		{Name: "mount", Required: true, Run: func(context.Context) error { return mounts.Setup("", mounts.Table) }},
		{Name: "modules", Run: st.loadModules},
		{Name: "cmdline", Run: st.readCmdline},
		{Name: "system-disk", Run: st.mountSystem},
		{Name: "data-disk", Run: st.mountData},
		{Name: "config", Run: st.readConfig},
		{Name: "clock", Run: checkClock},
		{Name: "network", Background: true, Run: st.network},
		{Name: "ntp", Run: st.syncClock},
		{Name: "app", Required: true, Run: st.startApp},
		{Name: "power", Background: true, Run: st.watchPower},
		{Name: "watchdog", Run: st.armWatchdog},
	}
}

func (st *initState) watchPower(ctx context.Context) error {
	st.power = power.Requests(ctx, st.logf)
	return nil
}

func (st *initState) readCmdline(context.Context) error {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return err
	}
	st.cmdline, err = config.ParseCmdline(string(b))
	return err
}

func (st *initState) mountData(context.Context) error {
	label := st.cmdline[config.KeyDisk]
	if label == "" {
		label = diskLabel
	}
	start := time.Now()
	dev, err := disk.Find(label)
	found := time.Now()
	if err == nil {
		err = disk.Mount(dev, dataDir)
	}
	if err != nil {
		st.diskErr = err
		return fmt.Errorf("%w; the camera runs live only, recording is disabled", err)
	}
	st.hasDisk = true
	st.logf("data disk %s mounted on %s (found in %v, mounted in %v)", dev, dataDir,
		found.Sub(start).Round(time.Millisecond), time.Since(found).Round(time.Millisecond))
	return nil
}

// readConfig layers baked defaults < /data/unicam.conf < kernel command
// line. A broken file is reported and skipped, never fatal.
func (st *initState) readConfig(context.Context) error {
	var errs []error
	layers := []config.Values{}
	for _, name := range []string{defaultsFile, dataConfFile} {
		v, err := readConfFile(name)
		if err != nil {
			errs = append(errs, err)
		}
		layers = append(layers, v)
	}
	st.cfg = config.Merge(append(layers, st.cmdline)...)
	return errors.Join(errs...)
}

func readConfFile(name string) (config.Values, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return config.ParseFile(name, f)
}

func (st *initState) network(ctx context.Context) error {
	defer close(st.netDone)
	host := st.cfg[config.KeyHostname]
	if err := netup.SetHostname(host); err != nil {
		st.logf("hostname: %v", err)
	}
	if err := netup.WriteHosts("/etc/hosts", host); err != nil {
		st.logf("/etc/hosts: %v", err)
	}
	desc, err := netup.Up(ctx, st.cfg[config.KeyIP])
	if err != nil {
		return err
	}
	st.logf("network %s", desc)
	go st.reportIPv6(ctx)
	return nil
}

// reportIPv6 logs the address the kernel takes from a router
// advertisement, or that none came; the boot does not wait for it.
func (st *initState) reportIPv6(ctx context.Context) {
	nic, addr, err := netup.IPv6FromRA(ctx, 30*time.Second)
	if err != nil {
		st.logf("network: %v", err)
		return
	}
	st.logf("network %s IPv6 %s (router advertisement)", nic, addr)
}

// mountSystem mounts the read-only system disk holding the app, for an
// image baked with one (others have the app in the initramfs), and hands
// PID 1 over to the runtime's copy there.
func (st *initState) mountSystem(context.Context) error {
	b, err := os.ReadFile(systemDiskFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st.app = filepath.Join(systemDir, appPath)
	if mounts.Mounted(systemDir) {
		return st.finishHandoff()
	}
	dev, err := sysdisk.Find("/sys/class/block", "/dev", strings.TrimSpace(string(b)))
	if err == nil {
		err = sysdisk.Mount(dev, systemDir)
	}
	if err != nil {
		return err
	}
	st.logf("system disk %s mounted read-only on %s", dev, systemDir)
	return st.handoff()
}

// handoffBelow is the guest memory under which PID 1 hands over to the
// system disk: the handover frees the initramfs copy of the runtime
// (4 MiB) but costs about 170 ms of boot under software emulation, where
// paging the program in from the disk is slow. With more memory, the
// runtime stays in the initramfs.
const handoffBelow = 128 << 20

// handoff re-executes PID 1 from the system disk, so the runtime's pages
// too are read from the disk as they are used. The new process runs the
// boot again; the steps already done find their work done. On failure
// the boot goes on from the initramfs.
func (st *initState) handoff() error {
	next := filepath.Join(systemDir, initPath)
	if _, err := os.Stat(next); err != nil {
		return nil
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil && uint64(si.Totalram)*uint64(si.Unit) >= handoffBelow {
		return nil
	}
	st.logf("handing over to %s", next)
	env := append(os.Environ(), fmt.Sprintf("%s=%d", handoffEnv, st.start.UnixNano()))
	err := unix.Exec(next, os.Args, env)
	return fmt.Errorf("hand over to %s: %w; the runtime goes on from the initramfs", next, err)
}

// finishHandoff, in the runtime started from the system disk, removes the
// initramfs copy of the runtime (the kernel frees its RAM) and points the
// poweroff and reboot links at the copy that runs.
func (st *initState) finishHandoff() error {
	exe, err := os.Executable()
	if err != nil || exe != filepath.Join(systemDir, initPath) {
		return err
	}
	for _, l := range []string{"/sbin/poweroff", "/sbin/reboot"} {
		os.Remove(l)
		if err := os.Symlink(exe, l); err != nil {
			return err
		}
	}
	if err := os.Remove(initPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if ns, err := strconv.ParseInt(os.Getenv(handoffEnv), 10, 64); err == nil {
		st.notes = append(st.notes, boot.Result{Name: "handoff", Duration: time.Since(time.Unix(0, ns))})
	}
	st.logf("running from the system disk; the initramfs copy is freed")
	return nil
}

func (st *initState) startApp(ctx context.Context) error {
	if _, err := os.Stat(st.app); err != nil {
		return fmt.Errorf("app missing from the image: %w", err)
	}
	// -lenient: the app drops each key it rejects (unknown, or a bad
	// value) with a console line naming it, so its default is used and
	// one typo never stops recording.
	args := append(append([]string{"-lenient"}, st.baseArgs()...), st.cfg.AppArgs()...)
	ring := &supervise.Ring{Path: appLog, Size: 64 << 10}
	out := io.MultiWriter(st.console, ring)
	st.sup = &supervise.Supervisor{
		Path: st.app, Args: args, Stdout: out, Stderr: out,
		MinBackoff: time.Second, MaxBackoff: 30 * time.Second, StableAfter: time.Minute,
		Logf: st.logf, StatusFile: supervisorJSON,
	}
	st.logf("starting %s %q", st.app, config.Redacted(args))
	go st.sup.Run(ctx)
	return nil
}

func writeBootJSON(results []boot.Result, logf func(string, ...any)) {
	b, err := json.MarshalIndent(results, "", "  ")
	if err == nil {
		if err = os.MkdirAll("/run/unicam", 0o755); err == nil {
			err = os.WriteFile(bootJSON, b, 0o644)
		}
	}
	if err != nil {
		logf("write %s: %v", bootJSON, err)
	}
}

// baseArgs are the flags the runtime always sets: where the data is and
// where to listen; without a data disk, recording is disabled (never sent
// to memory, where it would be lost) and the status page says why.
func (st *initState) baseArgs() []string {
	if st.hasDisk {
		return []string{"-data=" + dataDir, "-listen=:80"}
	}
	return []string{"-data=" + noDataDir, "-listen=:80", "-recording-disabled=" + st.diskErr.Error()}
}

// clockFloor is a date before any recording this build makes: a clock
// behind it was never set (no RTC, or an RTC that lost power).
var clockFloor = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// checkClock fails (an optional step, so it is shown on the console and
// the status page) when the clock was never set, so recordings named 1970
// are not a silent surprise.
func checkClock(context.Context) error {
	if now := time.Now(); now.Before(clockFloor) {
		return fmt.Errorf("clock never set: it reads %s; recordings are named by it (give the guest an RTC, or set the host clock)", now.UTC().Format(time.RFC3339))
	}
	return nil
}

// Watchdog settings: the driver is asked for a 15 s timeout; the guard
// checks every second for a heartbeat younger than 3 s (the app touches it
// every second), so a frozen app is reset within 15 + 3 + 1 s; the app
// gets 30 s to send its first heartbeat. A late heartbeat is forgiven
// for the whole timeout: petting resumes when it comes back.
const (
	heartbeatFile   = "/run/unicam/heartbeat"
	watchdogTimeout = 15 * time.Second
)

// armWatchdog opens the watchdog a driver provides (i6300esb under QEMU,
// xen_wdt under Xen, ib700 on microvm; guard.Choose), reports a reset
// that ended the previous boot, and pets it while the app's heartbeat is
// fresh.
func (st *initState) armWatchdog(ctx context.Context) error {
	path, name := guard.Choose(guard.ClassDir, guard.DevDir, guard.LegacyDev)
	wd, err := watchdog.Open(path)
	if err != nil {
		return fmt.Errorf("no hardware watchdog (%w); running without one", err)
	}
	if bs, err := wd.BootStatus(); err == nil && bs&watchdog.StatusCardReset != 0 {
		msg := "the previous boot ended by a watchdog reset (the app had stopped making progress)"
		st.logf("watchdog: %s", msg)
		st.notes = append(st.notes, boot.Result{Name: "last-boot", Err: msg})
	}
	// u-root's SetTimeout passes nanoseconds where the ioctl takes
	// seconds (EINVAL), so the ioctl is made here.
	if err := unix.IoctlSetPointerInt(int(wd.Fd()), unix.WDIOC_SETTIMEOUT, int(watchdogTimeout/time.Second)); err != nil {
		st.logf("watchdog: set timeout %v: %v; using the driver's", watchdogTimeout, err)
	}
	st.guard = &guard.Guard{Dev: wd, Heartbeat: heartbeatFile, MaxAge: 3 * time.Second, Interval: time.Second,
		Grace: 30 * time.Second, Logf: st.logf}
	go st.guard.Run(ctx)
	st.logf("watchdog: armed (%s, %s), %v timeout, petted while the app's heartbeat is fresh", path, name, watchdogTimeout)
	return nil
}

func (st *initState) loadModules(context.Context) error {
	absent, err := modules.LoadListed()
	if len(absent) > 0 {
		st.logf("modules: no device here for %s (not loaded)", strings.Join(absent, ", "))
	}
	return err
}

// syncClock sets the clock from the NTP servers in unicam.ntp, when any:
// before the app starts, so recordings are named by the right time.
func (st *initState) syncClock(context.Context) error {
	list := st.cfg[config.KeyNTP]
	if list == "" {
		return nil
	}
	<-st.netDone
	server, offset, err := ntpdate.SetTime(strings.Split(list, ","), "", "", false)
	if err != nil {
		return fmt.Errorf("unicam.ntp=%s: %w", list, err)
	}
	st.logf("clock set from %s (it was %.3f s off)", server, offset)
	return checkClock(context.Background())
}
