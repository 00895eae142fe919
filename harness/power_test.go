package harness

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// Power faults put the data of the nodes they need on lazyfs, and only those; a run without a
// power fault gets none of it.
func TestPowerFaultsPutTheirNodesOnLazyfs(t *testing.T) {
	for _, tc := range []struct {
		faults     []string
		zookeepers int
		want       cluster.Lazyfs
	}{
		{nil, 1, cluster.Lazyfs{}},
		{[]string{"kill-leader", "isolate-leader", "kill-isr"}, 1, cluster.Lazyfs{}},
		{[]string{"kill-leader", "power-loss-all"}, 1, cluster.Lazyfs{Kafka: true}},
		{[]string{"power-loss-last-replica"}, 1, cluster.Lazyfs{Kafka: true}},
		{[]string{"power-loss-zk-leader"}, 3, cluster.Lazyfs{ZooKeeper: true}},
		{[]string{"power-loss-leader", "power-loss-zk-leader"}, 3, cluster.Lazyfs{Kafka: true, ZooKeeper: true}},
	} {
		s := specWith(WorkloadSpec{Acks: workloads.AcksAll})
		s.Faults, s.Cluster.ZooKeepers = tc.faults, tc.zookeepers
		got, err := s.withDefaults()
		if err != nil {
			t.Errorf("%v: %v", tc.faults, err)
			continue
		}
		if got.Cluster.Lazyfs != tc.want {
			t.Errorf("%v: lazyfs %+v, want %+v", tc.faults, got.Cluster.Lazyfs, tc.want)
		}
	}
}

func TestPowerSpecsRefused(t *testing.T) {
	for _, tc := range []struct {
		spec func(*RunSpec)
		want string
	}{
		{func(s *RunSpec) { s.Faults = []string{"power-loss-zk-leader"} }, "power-loss-zk-leader cannot run on 3 brokers and 1 ZooKeeper nodes"},
		{func(s *RunSpec) {
			s.Faults = []string{"power-loss-zk-leader"}
			s.Cluster.KafkaVersion, s.Cluster.Image = "4.4.0", ""
		}, "power-loss-zk-leader cannot run on 3 brokers and 3 controllers"},
		{func(s *RunSpec) { s.Cluster.Lazyfs.Journal = true }, "--lazyfs-journal"},
	} {
		s := specWith(WorkloadSpec{Acks: workloads.AcksAll})
		tc.spec(&s)
		if _, err := s.withDefaults(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	// Journal with lazyfs turned on by a power fault is fine.
	s := specWith(WorkloadSpec{Acks: workloads.AcksAll})
	s.Faults, s.Cluster.Lazyfs.Journal = []string{"power-loss-all"}, true
	if got, err := s.withDefaults(); err != nil || got.Cluster.Lazyfs != (cluster.Lazyfs{Kafka: true, Journal: true}) {
		t.Errorf("power-loss-all with the journal model: %+v, %v", got.Cluster.Lazyfs, err)
	}
}
