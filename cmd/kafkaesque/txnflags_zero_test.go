package main

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// An explicit --txn-timeout 0 or --isolation "" is refused: the harness takes a zero value as
// "not given" and would replace it with its default (found in review).
func TestTxnFlagsZeroValuesRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--txn-timeout", "0"},
		{"--isolation", ""},
	} {
		o, fs := parseTxnFlags(t, args)
		w := harness.WorkloadSpec{Name: harness.WorkloadTxn, Acks: workloads.AcksAll}
		if err := o.txn.apply(&w, o.client, fs); err == nil {
			t.Errorf("%q with --workload txn accepted (spec txn %+v): the harness will replace it with its default", args, *w.Txn)
		}
	}
}
