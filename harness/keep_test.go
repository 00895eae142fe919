package harness

import (
	"errors"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/workloads"
)

func TestKeepClusterOnlyAfterAFailedRun(t *testing.T) {
	verdict := func(v checker.Validity) *RunResult { return &RunResult{Result: &checker.Result{Valid: v}} }
	keep, tearDown := RunSpec{KeepCluster: true}, RunSpec{}
	cases := []struct {
		name     string
		spec     RunSpec
		res      *RunResult
		err      error
		panicked bool
		want     bool
	}{
		{"valid", keep, verdict(checker.Valid), nil, false, false},
		{"invalid", keep, verdict(checker.Invalid), nil, false, true},
		{"unknown", keep, verdict(checker.Unknown), nil, false, true},
		{"error", keep, nil, errors.New("final drain: broken"), false, true},
		{"error after a valid check", keep, verdict(checker.Valid), errors.New("close cluster: x"), false, true},
		{"panic", keep, nil, nil, true, true},
		{"invalid, not asked", tearDown, verdict(checker.Invalid), nil, false, false},
		{"error, not asked", tearDown, nil, errors.New("x"), false, false},
	}
	for _, tc := range cases {
		if got := keepCluster(tc.spec, tc.res, tc.err, tc.panicked); got != tc.want {
			t.Errorf("%s: keep %v, want %v", tc.name, got, tc.want)
		}
	}
	spec, err := RunSpec{OutDir: "x", KeepCluster: true, Workload: WorkloadSpec{Acks: workloads.AcksAll}}.withDefaults()
	if err != nil || !spec.Cluster.Keep {
		t.Errorf("KeepCluster does not label the cluster kept (Cluster.Keep %v, %v)", spec.Cluster.Keep, err)
	}
	if spec, _ := (RunSpec{OutDir: "x", Workload: WorkloadSpec{Acks: workloads.AcksAll}}).withDefaults(); spec.Cluster.Keep {
		t.Error("a run that tears down labels its cluster kept")
	}
}
