// Command bake builds a unicam image from its definition in images/.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"unicam/toolchain/bake"
	"unicam/toolchain/datadisk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bake: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cache, _ := os.UserCacheDir()
	o := bake.Opts{Log: os.Stderr}
	fs := flag.NewFlagSet("bake", flag.ContinueOnError)
	fs.StringVar(&o.Spec, "image", "images/qemu.yaml", "image definition")
	fs.StringVar(&o.OutDir, "out", "images/out", "output folder")
	fs.StringVar(&o.CacheDir, "cache", filepath.Join(cache, "unicam"), "kernel cache folder")
	fs.StringVar(&o.RepoDir, "repo", ".", "repository root")
	fs.StringVar(&o.Kernel, "kernel", "", "replace the definition's kernel: debian, minimal, or a bzImage path")
	disk := fs.String("disk", "", "instead of baking, create this data disk image (kept if it exists)")
	size := fs.String("disk-size", "1G", "size of the data disk for -disk")
	conf := fs.String("disk-conf", "", "a unicam.conf to put on the new data disk")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *disk != "" {
		var c []byte
		if *conf != "" {
			var err error
			if c, err = os.ReadFile(*conf); err != nil {
				return fmt.Errorf("-disk-conf: %w", err)
			}
		}
		return datadisk.Create(ctx, *disk, *size, string(c))
	}
	var err error
	if o.RepoDir, err = filepath.Abs(o.RepoDir); err != nil {
		return err
	}
	dir, err := bake.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Println(dir)
	return nil
}
