package main

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/spf13/pflag"
)

func parseTxnFlags(t *testing.T, args []string) (*runFlags, *pflag.FlagSet) {
	t.Helper()
	var o runFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o, fs
}

// Transaction flags are refused for other workloads, and queue-only flags for the txn
// workload, each naming the flag; nothing is silently ignored.
func TestTxnFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
		want string
	}{
		{[]string{"--abort-rate", "0.3"}, harness.WorkloadQueue, "--abort-rate: configures the txn workload"},
		{[]string{"--isolation", "read-uncommitted"}, harness.WorkloadGroup, "--isolation: configures the txn workload"},
		{[]string{"--consumers", "4"}, harness.WorkloadTxn, "--consumers: the txn workload's clients"},
		{[]string{"--client", "kafka-go"}, harness.WorkloadTxn, "--client kafka-go: the txn workload's client is franz-go"},
		{[]string{"--idempotent=false"}, harness.WorkloadTxn, "--idempotent=false: transactional producers are idempotent"},
	} {
		o, fs := parseTxnFlags(t, tc.args)
		w := harness.WorkloadSpec{Name: tc.name, Acks: workloads.AcksAll}
		if err := o.txn.apply(&w, o.client, fs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v with --workload %s: %v, want an error naming %q", tc.args, tc.name, err, tc.want)
		}
	}
	// Near misses: the same flags where they belong.
	o, fs := parseTxnFlags(t, []string{"--abort-rate", "0.3", "--isolation", "read-uncommitted", "--txn-delay", "50ms", "--client", "franz"})
	w := harness.WorkloadSpec{Name: harness.WorkloadTxn, Acks: workloads.AcksAll, Consumers: 2}
	if err := o.txn.apply(&w, o.client, fs); err != nil {
		t.Fatal(err)
	}
	if w.Txn == nil || *w.Txn.AbortRate != 0.3 || w.Txn.Isolation != harness.ReadUncommitted || w.Txn.Delay.Milliseconds() != 50 || w.Consumers != 0 || w.Client != workloads.ClientFranz {
		t.Errorf("txn flags applied as %+v, txn %+v", w, w.Txn)
	}
	o, fs = parseTxnFlags(t, nil)
	w = harness.WorkloadSpec{Name: harness.WorkloadQueue, Acks: workloads.AcksAll}
	if err := o.txn.apply(&w, o.client, fs); err != nil || w.Txn != nil {
		t.Errorf("queue workload without txn flags: %v, txn %+v", err, w.Txn)
	}
}

// The txn workload's default faults add its coordinator's; a --nemesis given is kept as given.
func TestTxnDefaultFaults(t *testing.T) {
	cluster.RequireDocker(t) // the spec is checked against the node image's labels
	o, _ := parseTxnFlags(t, []string{"--workload", "txn", "--out", t.TempDir()})
	spec, err := o.spec()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(spec.Faults, ","); got != defaultTxnFaults {
		t.Errorf("txn faults %q, want %q", got, defaultTxnFaults)
	}
}
