package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// Validate checks a run spec as RunChaos does before anything starts, and starts nothing: every
// count, rate and duration, the cluster config and its broker config keys (against the image's
// Kafka where a list of its keys was generated), the faults against the cluster's shape, and
// that the schedule plans at least one fault when faults are named. Zero fields take the
// defaults documented on them; negative ones are refused.
func (s RunSpec) Validate() error {
	_, err := s.withDefaults()
	return err
}

// validate checks a spec whose zero fields have been filled in.
func (s RunSpec) validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    float64
	}{
		{"TimeLimit", s.TimeLimit.Seconds()}, {"Warmup", s.Warmup.Seconds()}, {"RecoveryLimit", s.RecoveryLimit.Seconds()},
		{"DrainLimit", s.DrainLimit.Seconds()}, {"CheckTimeLimit", s.CheckTimeLimit.Seconds()},
		{"Workload.Partitions", float64(s.Workload.Partitions)},
		{"Workload.ReplicationFactor", float64(s.Workload.ReplicationFactor)},
		{"Workload.Producers", float64(s.Workload.Producers)}, {"Workload.Consumers", float64(s.Workload.Consumers)},
		{"Workload.MaxSends", float64(s.Workload.MaxSends)}, {"Workload.Rate", s.Workload.Rate},
	} {
		if d.v < 0 || math.IsNaN(d.v) || math.IsInf(d.v, 0) {
			errs = append(errs, fmt.Errorf("run spec: %s must not be negative, got %v", d.name, d.v))
		}
	}
	brokers := s.Cluster.Brokers
	if brokers == 0 {
		brokers = 3 // cluster.Config's default
	}
	if rf := s.Workload.ReplicationFactor; rf > brokers {
		return errors.Join(append(errs, fmt.Errorf("run spec: replication factor %d is above the broker count %d", rf, brokers))...)
	}
	cc, err := s.Cluster.WithDefaults()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if err := cluster.CheckBrokerKeys(context.Background(), cc.Image, s.Cluster.BrokerConfig); err != nil {
		errs = append(errs, err)
	}
	faults, err := s.nemesisConfig().Lookup(s.Faults)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if s.Workload.Name != WorkloadGroup {
		for _, f := range nemesis.GroupFaults() {
			if slices.Contains(s.Faults, f.Name()) {
				errs = append(errs, fmt.Errorf("fault %s needs the group workload", f.Name()))
			}
		}
	}
	if s.Workload.Name != WorkloadTxn {
		for _, f := range nemesis.TxnFaults() {
			if slices.Contains(s.Faults, f.Name()) {
				errs = append(errs, fmt.Errorf("fault %s needs the txn workload", f.Name()))
			}
		}
	}
	if err := nemesis.CheckTopology(context.Background(), faults, nemesis.Topology{Brokers: cc.Brokers, ZooKeepers: cc.ZooKeepers, Controllers: cc.Controllers, Combined: cc.Combined}); err != nil {
		errs = append(errs, err)
	}
	if err := nemesis.CheckPlan(faults, s.TimeLimit, s.Schedule); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
