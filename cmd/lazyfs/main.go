// Command lazyfs serves a directory tree through FUSE and keeps the writes that were not fsynced
// apart, so that they can be dropped as a power cut would drop them (see package lazyfs and
// docs/lazyfs.md).
//
//	lazyfs mount --backing DIR [--state DIR] [--journal] --control SOCKET MOUNTPOINT
//	    mounts (mount(2) directly: needs /dev/fuse and CAP_SYS_ADMIN) and serves until SIGTERM,
//	    SIGINT or an unmount from outside; the control socket exists once the mount is up.
//	    --state defaults to DIR.lazyfs (on DIR's filesystem, emptied at start). --journal: any
//	    fsync makes all earlier directory entry changes durable, as on ext4 or xfs.
//	lazyfs ctl --control SOCKET stats|lose-unfsynced|sync
//	    runs one control command and prints its JSON reply; exits 1 when it failed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kafkaesque/kafkaesque/lazyfs"
	"github.com/spf13/pflag"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "mount":
		err = mount(os.Args[2:])
	case "ctl":
		err = ctl(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazyfs:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: lazyfs mount --backing DIR [--state DIR] [--journal] --control SOCKET MOUNTPOINT\n       lazyfs ctl --control SOCKET stats|lose-unfsynced|sync")
	os.Exit(64)
}

func mount(args []string) error {
	fl := pflag.NewFlagSet("lazyfs mount", pflag.ExitOnError)
	backing := fl.String("backing", "", "the directory whose tree is served (required)")
	state := fl.String("state", "", "the layer's state directory (default BACKING.lazyfs)")
	control := fl.String("control", "", "the control socket's path (required)")
	journal := fl.Bool("journal", false, "any fsync makes all earlier directory entry changes durable (ext4/xfs-like); default: only fsync of the directory does (LazyFS, POSIX)")
	fl.Parse(args)
	if *backing == "" || *control == "" || fl.NArg() != 1 {
		return fmt.Errorf("mount needs --backing, --control and one mount point (got %q)", fl.Args())
	}
	if *state == "" {
		*state = *backing + ".lazyfs"
	}
	point := fl.Arg(0)
	for _, d := range []string{*backing, point} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	layer, err := lazyfs.New(*backing, *state, lazyfs.Options{Journal: *journal})
	if err != nil {
		return err
	}
	m, err := lazyfs.NewMount(layer, point)
	if err != nil {
		return err
	}
	os.Remove(*control)
	ln, err := net.Listen("unix", *control)
	if err != nil {
		m.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { m.Wait(); stop() }()
	fmt.Fprintf(os.Stderr, "lazyfs: %s served at %s, control %s\n", *backing, point, *control)
	serr := m.Serve(ctx, ln)
	os.Remove(*control)
	cerr := m.Close()
	if serr != nil {
		return serr
	}
	if cerr != nil && ctx.Err() == nil {
		return nil // unmounted from outside
	}
	return cerr
}

func ctl(args []string) error {
	fl := pflag.NewFlagSet("lazyfs ctl", pflag.ExitOnError)
	control := fl.String("control", "", "the control socket's path (required)")
	fl.Parse(args)
	if *control == "" || fl.NArg() != 1 {
		return fmt.Errorf("ctl needs --control and one command (got %q)", fl.Args())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := lazyfs.Call(ctx, *control, fl.Arg(0))
	if r.Command != "" {
		json.NewEncoder(os.Stdout).Encode(r)
	}
	return err
}
