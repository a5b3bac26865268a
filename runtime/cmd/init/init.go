package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"unicam/runtime/boot"
	"unicam/runtime/config"
	"unicam/runtime/disk"
	"unicam/runtime/modules"
	"unicam/runtime/mounts"
	"unicam/runtime/netup"
	"unicam/runtime/power"
	"unicam/runtime/supervise"
)

// Paths inside the image.
const (
	appPath      = "/bin/camera"
	defaultsFile = "/etc/unicam/defaults.conf"
	dataDir      = "/data"
	dataConfFile = "/data/unicam.conf"
	bootJSON     = "/run/unicam/boot.json"
	diskLabel    = "UNICAM"
	// stopGrace is how long the app gets to finish its open segment.
	stopGrace = 10 * time.Second
)

// initState is what the boot steps hand to each other.
type initState struct {
	console io.Writer
	logf    func(string, ...any)
	cmdline config.Values
	cfg     config.Values
	hasDisk bool
	power   <-chan power.Action
	sup     *supervise.Supervisor
}

func run(ctx context.Context, console io.Writer) error {
	lg := log.New(console, "unicam: ", 0)
	st := &initState{console: console, logf: lg.Printf}
	results, err := boot.Run(ctx, st.steps(), console, time.Now)
	writeBootJSON(results, st.logf)
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
	return power.Do(a, st.sup, stopGrace, unmount, st.logf)
}

// steps is the boot, in order. Only mounts and the app are required: the
// appliance records without network, and the status of a missing disk is
// shown rather than stopping the boot.
func (st *initState) steps() []boot.Step {
	return []boot.Step{
		{Name: "mount", Required: true, Run: func(context.Context) error { return mounts.Setup("", mounts.Table) }},
		{Name: "modules", Run: func(context.Context) error { return modules.LoadListed() }},
		{Name: "power", Run: st.watchPower},
		{Name: "cmdline", Run: st.readCmdline},
		{Name: "data-disk", Run: st.mountData},
		{Name: "config", Run: st.readConfig},
		{Name: "network", Run: st.network},
		{Name: "app", Required: true, Run: st.startApp},
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
	dev, err := disk.Mount(label, dataDir)
	if err != nil {
		return fmt.Errorf("%w; recordings go to memory and are lost at power-off", err)
	}
	st.hasDisk = true
	st.logf("data disk %s mounted on %s", dev, dataDir)
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
	if err := netup.SetHostname(st.cfg[config.KeyHostname]); err != nil {
		st.logf("hostname: %v", err)
	}
	desc, err := netup.Up(ctx, st.cfg[config.KeyIP])
	if err != nil {
		return err
	}
	st.logf("network %s", desc)
	return nil
}

func (st *initState) startApp(ctx context.Context) error {
	if _, err := os.Stat(appPath); err != nil {
		return fmt.Errorf("app missing from the image: %w", err)
	}
	args := append([]string{"-data=" + dataDir, "-listen=:80"}, st.cfg.AppArgs()...)
	st.sup = &supervise.Supervisor{
		Path: appPath, Args: args, Stdout: st.console, Stderr: st.console,
		MinBackoff: time.Second, MaxBackoff: 30 * time.Second, StableAfter: time.Minute,
		Logf: st.logf,
	}
	st.logf("starting %s %q", appPath, config.Redacted(args))
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
