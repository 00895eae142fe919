package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/spf13/pflag"
)

func TestRunHelpListsEveryFault(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"run", "-h"}, {"help", "run"}} {
		code, stdout, stderr := run(args...)
		if code != exitValid || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		for _, f := range slices.Concat(nemesis.All(), nemesis.GroupFaults(), nemesis.TxnFaults()) {
			if !strings.Contains(stdout, "  "+f.Name()+" ") {
				t.Errorf("%v: help does not list fault %s", args, f.Name())
			}
		}
		for _, flag := range []string{"--time-limit", "--broker-config", "--crash-clients", "--nemesis", "--seed"} {
			if !strings.Contains(stdout, flag) {
				t.Errorf("%v: help does not show %s", args, flag)
			}
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"help", "frob"}, `unknown command "frob"`},
		{[]string{"run", "--frobnicate"}, "unknown flag: --frobnicate"},
		{[]string{"run", "extra"}, `unknown command "extra"`},
		{[]string{"check", "--time-limit", "soon", "x"}, "--time-limit"},
		{[]string{"serve", "extra"}, `unknown command "extra"`},
	}
	for _, tc := range cases {
		code, stdout, stderr := run(tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr, tc.stderr)
		}
		// One line naming the problem, one pointing at --help; never the whole usage.
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "--help") || stdout != "" {
			t.Errorf("%v: want an error line and a --help pointer, got stdout %q stderr %q", tc.args, stdout, stderr)
		}
	}
}

func TestReproduceKeepsTheFlagsGivenAndPinsTheSeed(t *testing.T) {
	var o runFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.register(fs)
	if err := fs.Parse([]string{"--acks", "1", "--nemesis=isolate-leader", "--seed", "7", "--out", "x",
		"--broker-config", "log.flush.interval.messages=1", "--time-limit=90s", "--broker-config", "b.c=two words"}); err != nil {
		t.Fatal(err)
	}
	want := "kafkaesque run --acks=1 --broker-config='b.c=two words' --broker-config=log.flush.interval.messages=1 " +
		"--nemesis=isolate-leader --time-limit=1m30s --seed=7 --out=x-replay"
	if got := o.reproduce(7, "x"); got != want {
		t.Errorf("reproduce:\n got %s\nwant %s", got, want)
	}
	// The reproduced command parses back to the same flags.
	var again runFlags
	fs2 := pflag.NewFlagSet("run", pflag.ContinueOnError)
	again.register(fs2)
	if err := fs2.Parse([]string{"--acks=1", "--broker-config=b.c=two words", "--broker-config=log.flush.interval.messages=1",
		"--nemesis=isolate-leader", "--time-limit=1m30s", "--seed=7", "--out=x-replay"}); err != nil {
		t.Fatal(err)
	}
	if again.acks != "1" || again.timeLimit != 90*time.Second || again.brokerConfig["b.c"] != "two words" || again.faults != "isolate-leader" {
		t.Errorf("reparsed flags differ: %+v", again)
	}
}
