// Command kafkaesque is the Kafkaesque fault-injection harness.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every subcommand.
const (
	exitValid     = 0
	exitAnomalies = 1
	exitError     = 2
	exitUnknown   = 3
)

// exitStatus carries a subcommand's exit status out of cobra. The subcommand has already
// printed whatever explains it.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// status turns an exit status into what a cobra RunE returns.
func status(code int) error {
	if code == exitValid {
		return nil
	}
	return exitStatus(code)
}

func main() {
	ctx, interrupt, stop := interruptContext(context.Background())
	code := execute(ctx, os.Args[1:], newOutput(os.Stdout, interrupt), newOutput(os.Stderr, interrupt))
	stop()
	os.Exit(code)
}

// execute runs the command line args (without the program name) and returns the exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var st exitStatus
	switch {
	case err == nil:
		return exitValid
	case errors.As(err, &st):
		return int(st)
	default: // bad flags, arguments or command: one line, and where to get help
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd.CommandPath(), err, cmd.CommandPath())
		return exitError
	}
}

// newRootCmd builds the command tree. Each call builds fresh flags, so tests can run it in
// process as often as they like.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "kafkaesque",
		Short: "Jepsen-style fault injection for Apache Kafka",
		Long: "Kafkaesque starts real ZooKeeper and Kafka brokers in Docker, drives a workload while a nemesis\n" +
			"injects faults, and checks the recorded history.\n\n" +
			"Exit status: 0 valid, 1 anomalies found, 2 bad input or error, 3 unknown.",
		SilenceErrors: true,
		SilenceUsage:  true,
		// A bare `kafkaesque` is an error; `kafkaesque frob` is rejected by cobra as an unknown
		// command before this runs.
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(stderr, "kafkaesque: no command given (usage: kafkaesque COMMAND [flags] [arguments])")
			cmd.SetOut(stderr)
			_ = cmd.Usage()
			return exitStatus(exitError)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newRunCmd(), newBenchCmd(), newCheckCmd(), newReportCmd(), newServeCmd(), newSweepCmd(), newMergeCmd(), newVersionCmd(localNodeImages))
	root.SetHelpCommand(newHelpCmd(root))
	return root
}

// newHelpCmd is `kafkaesque help [COMMAND]`; an unknown command is an error (exit 2), where
// cobra's own help command would exit 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "show help for kafkaesque or one of its commands",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return root.Help()
			}
			target, rest, err := root.Find(args)
			if err != nil || target == root || len(rest) > 0 {
				return fmt.Errorf("unknown command %q", args[0])
			}
			target.InitDefaultHelpFlag() // as `COMMAND --help` shows it
			return target.Help()
		},
	}
}
