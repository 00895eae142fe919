package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
)

func TestValidateRefusesBadSpecsBeforeStart(t *testing.T) {
	good := func() RunSpec {
		return RunSpec{OutDir: "x", Faults: []string{"kill-leader"}, TimeLimit: time.Minute, Workload: WorkloadSpec{Acks: workloads.AcksAll}}
	}
	cases := []struct {
		name   string
		change func(*RunSpec)
		want   string
	}{
		{"negative producers", func(s *RunSpec) { s.Workload.Producers = -1 }, "Workload.Producers must not be negative"},
		{"negative consumers", func(s *RunSpec) { s.Workload.Consumers = -2 }, "Workload.Consumers"},
		{"negative partitions", func(s *RunSpec) { s.Workload.Partitions = -3 }, "Workload.Partitions"},
		{"negative rate", func(s *RunSpec) { s.Workload.Rate = -1 }, "Workload.Rate"},
		{"negative time limit", func(s *RunSpec) { s.TimeLimit = -time.Second }, "TimeLimit"},
		{"negative drain limit", func(s *RunSpec) { s.DrainLimit = -time.Second }, "DrainLimit"},
		{"negative hold", func(s *RunSpec) { s.Schedule.HoldMin = -time.Second }, "negative minimum hold"},
		{"negative crash interval", func(s *RunSpec) { s.Workload.CrashInterval = -time.Second }, "crash interval"},
		{"replication factor above brokers", func(s *RunSpec) { s.Workload.ReplicationFactor = 4 }, "replication factor 4 is above the broker count 3"},
		{"kill-zk-leader with one ZooKeeper node", func(s *RunSpec) { s.Faults = []string{"kill-zk-leader"} }, "kill-zk-leader cannot run on 3 brokers and 1 ZooKeeper nodes"},
		{"misspelled broker key", func(s *RunSpec) { s.Cluster.BrokerConfig = map[string]string{"min.insync.replica": "2"} },
			`unknown Kafka config key "min.insync.replica" (did you mean "min.insync.replicas"?)`},
		{"reserved broker key", func(s *RunSpec) { s.Cluster.BrokerConfig = map[string]string{"broker.id": "7"} }, "broker.id"},
		{"group fault on the queue", func(s *RunSpec) { s.Faults = []string{"kill-coordinator"} }, "kill-coordinator needs the group workload"},
		{"no fault planned", func(s *RunSpec) { s.TimeLimit = 5 * time.Second }, "plans no fault"},
		{"unknown fault", func(s *RunSpec) { s.Faults = []string{"kill-everything"} }, `unknown fault "kill-everything"`},
	}
	for _, tc := range cases {
		s := good()
		tc.change(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := good().Validate(); err != nil {
		t.Errorf("a good spec: %v", err)
	}
	// Near misses: what is valid stays valid.
	ok := []func(*RunSpec){
		func(s *RunSpec) { s.Faults = []string{"kill-zk-leader"}; s.Cluster.ZooKeepers = 3 },
		func(s *RunSpec) { s.Faults = nil; s.TimeLimit = time.Second }, // nothing to plan
		func(s *RunSpec) { s.Cluster.BrokerConfig = map[string]string{"log.flush.interval.messages": "1"} },
		func(s *RunSpec) {
			s.Cluster.BrokerConfig = map[string]string{"listener.name.plaintext.ssl.keystore.location": "/k"}
		},
		func(s *RunSpec) {
			s.Cluster.Image = "someone/else:1.0"
			s.Cluster.BrokerConfig = map[string]string{"made.up": "1"}
		},
		func(s *RunSpec) { s.Workload.ReplicationFactor = 3; s.Workload.Rate = 0 },
	}
	for i, change := range ok {
		s := good()
		change(&s)
		if err := s.Validate(); err != nil {
			t.Errorf("valid spec %d: %v", i, err)
		}
	}
}
