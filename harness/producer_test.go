package harness

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// specWith is a spec that needs no Docker to validate (its image is not a node image).
func specWith(w WorkloadSpec) RunSpec {
	return RunSpec{OutDir: "x", Cluster: cluster.Config{Image: "someone/else:1.0"}, Workload: w}
}

func idempotence(v bool) *bool { return &v }

// config.json's record follows the client: its idempotence defaults, its settings and the
// anomalies they allow.
func TestRunConfigFollowsTheClient(t *testing.T) {
	for _, tc := range []struct {
		w          WorkloadSpec
		client     workloads.Client
		idempotent bool
		duplicate  string // why duplicates are allowed; "" when they are not
	}{
		{WorkloadSpec{Acks: workloads.AcksAll}, workloads.ClientKafkaGo, false, "kafka-go's producer is not idempotent"},
		{WorkloadSpec{Acks: workloads.AcksAll, Client: workloads.ClientFranz}, workloads.ClientFranz, true, ""},
		{WorkloadSpec{Acks: workloads.AcksAll, Client: workloads.ClientFranz, Idempotent: idempotence(false)}, workloads.ClientFranz, false, "idempotence off"},
		{WorkloadSpec{Acks: workloads.AcksLeader, Client: workloads.ClientFranz, Idempotent: idempotence(false)}, workloads.ClientFranz, false, "idempotence off"},
		{WorkloadSpec{Name: WorkloadGroup, Acks: workloads.AcksAll}, workloads.ClientKafkaGo, false, "kafka-go's producer is not idempotent"},
	} {
		spec, err := specWith(tc.w).withDefaults()
		if err != nil {
			t.Fatalf("%+v: %v", tc.w, err)
		}
		cfg := newRunConfig(spec)
		w := cfg.Spec.Workload
		if w.Client != tc.client || *w.Idempotent != tc.idempotent || cfg.Producer.Client != tc.client || cfg.Producer.Idempotent != tc.idempotent || cfg.Producer.Acks != tc.w.Acks {
			t.Errorf("%+v: workload %+v, producer %+v", tc.w, w, cfg.Producer)
		}
		why, ok := cfg.Allowed[checker.Duplicate]
		if ok != (tc.duplicate != "") || !strings.HasPrefix(why, tc.duplicate) {
			t.Errorf("%+v: duplicate allowed %v (%q), want %q", tc.w, ok, why, tc.duplicate)
		}
	}
	// The cluster's own allowance is kept beside the client's.
	spec, err := specWith(WorkloadSpec{Acks: workloads.AcksAll, Client: workloads.ClientFranz}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	spec.Cluster.BrokerConfig = map[string]string{"unclean.leader.election.enable": "true"}
	if allowed := newRunConfig(spec).Allowed; len(allowed) != 1 || allowed[checker.UncleanElection] == "" {
		t.Errorf("franz-go with unclean elections allows %v, want unclean-election only", allowed)
	}
}

func TestClientSpecsRefused(t *testing.T) {
	for _, tc := range []struct {
		w    WorkloadSpec
		want string
	}{
		{WorkloadSpec{Acks: workloads.AcksAll, Client: "sarama"}, `client "sarama"`},
		{WorkloadSpec{Acks: workloads.AcksAll, Idempotent: idempotence(true)}, "kafka-go's producer cannot be idempotent"},
		{WorkloadSpec{Acks: workloads.AcksLeader, Client: workloads.ClientFranz}, "needs acks=all"},
		{WorkloadSpec{Name: WorkloadGroup, Acks: workloads.AcksAll, Client: workloads.ClientFranz}, "group workload's producers are kafka-go's"},
	} {
		if err := specWith(tc.w).Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %q", tc.w, err, tc.want)
		}
	}
}
