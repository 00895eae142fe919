// Command kafkaesque is the Kafkaesque fault-injection harness.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand. run returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the dispatch table; add subcommands here.
var commands []command

func init() {
	commands = []command{
		{name: "run", summary: "start a cluster, run a workload under faults, check it, write a run directory", run: runRun},
		{name: "check", summary: "check a history file for anomalies", run: runCheck},
		{name: "report", summary: "write a run directory's HTML report (checking it first if needed)", run: runReport},
		{name: "serve", summary: "serve a results directory on localhost for browsing", run: runServe},
		{name: "help", summary: "show this help", run: runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0].
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "kafkaesque: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kafkaesque <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'kafkaesque <command> -h' for a command's flags.")
}

func runHelp(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			return c.run(context.Background(), []string{"-h"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "kafkaesque help: unknown command %q\n", args[0])
	return 2
}
