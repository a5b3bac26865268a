// Command figures renders the rows a test suite recorded (JSON lines) as
// RELIABILITY.md or BENCHMARKS.md, with the machine described at the top.
//
//	go run ./toolchain/cmd/figures -in images/out/reliability.jsonl -out RELIABILITY.md -title Reliability
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"unicam/toolchain/figures"
)

func main() {
	in := flag.String("in", "", "JSON lines of results, one row per test")
	out := flag.String("out", "", "Markdown file to write")
	title := flag.String("title", "Results", "document title")
	intro := flag.String("intro", "", "paragraph under the title")
	bench := flag.Bool("bench", false, "benchmark wording: a row passes when its goal was met")
	flag.Parse()
	d := figures.Reliability
	if *bench {
		d = figures.Benchmarks
	}
	d.Title, d.Intro = *title, *intro
	if err := run(*in, *out, d); err != nil {
		fmt.Fprintf(os.Stderr, "figures: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out string, d figures.Doc) error {
	if in == "" || out == "" {
		return fmt.Errorf("-in and -out are required")
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := figures.Read(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	d.Machine = machine()
	if err := figures.Render(tmp, d, rows); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// machine describes where the figures were measured.
func machine() []string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.Join(strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1:], " ")
	}
	return []string{
		"Measured " + time.Now().UTC().Format("2006-01-02 15:04 MST"),
		fmt.Sprintf("%d CPUs (%s), memory %s", runtime.NumCPU(), cpu, mem),
		"Kernel " + command("uname", "-r") + ", " + command("qemu-system-x86_64", "--version") + ", " + runtime.Version(),
		"KVM: " + kvm(),
	}
}

func command(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return name + " not found"
	}
	return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
}

func kvm() string {
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
		f.Close()
		return "/dev/kvm opens (the launcher probes whether QEMU can use it)"
	}
	return "none: QEMU runs under software emulation (TCG)"
}
