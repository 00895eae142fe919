package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestEverySubcommandsHelpAndErrors walks the command tree, so a new subcommand is covered
// without editing this test: its --help (and -h, and `help CMD`) shows every flag as --name on
// stdout, and a bad flag is one error line plus a pointer to --help on stderr.
func TestEverySubcommandsHelpAndErrors(t *testing.T) {
	root := newRootCmd(io.Discard, io.Discard)
	if len(root.Commands()) < 6 {
		t.Fatalf("only %d subcommands found", len(root.Commands()))
	}
	for _, sub := range root.Commands() {
		name := sub.Name()
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
				code, stdout, stderr := run(args...)
				if code != exitValid || stderr != "" || !strings.Contains(stdout, "kafkaesque "+name) {
					t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
				}
				sub.Flags().VisitAll(func(f *pflag.Flag) {
					if !strings.Contains(stdout, "--"+f.Name) {
						t.Errorf("%v: help does not show --%s", args, f.Name)
					}
				})
				if !strings.Contains(stdout, "-h, --help") {
					t.Errorf("%v: help does not show -h, --help:\n%s", args, stdout)
				}
			}
			code, stdout, stderr := run(name, "--no-such-flag")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != exitError || stdout != "" || len(lines) != 2 ||
				lines[0] != "kafkaesque "+name+": unknown flag: --no-such-flag" ||
				lines[1] != "Run 'kafkaesque "+name+" --help' for usage." {
				t.Errorf("bad flag: exit %d, stdout %q, stderr %q; want one error line and a pointer to --help", code, stdout, stderr)
			}
		})
	}
}
