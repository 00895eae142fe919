package harness

import (
	"errors"
	"fmt"
	"maps"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/kafkaesque/kafkaesque/workloads/group"
	"github.com/kafkaesque/kafkaesque/workloads/txn"
)

// clientDefaults fills the workload's client and its idempotence, and refuses a combination
// the client cannot run.
func (w *WorkloadSpec) clientDefaults() error {
	if w.Client == "" {
		w.Client = workloads.ClientKafkaGo
	}
	if _, err := workloads.ParseClient(string(w.Client)); err != nil {
		return fmt.Errorf("run spec: %w", err)
	}
	if w.Idempotent == nil {
		idempotent := workloads.DefaultIdempotent(w.Client)
		w.Idempotent = &idempotent
	}
	if w.Client != workloads.ClientKafkaGo && w.Name == WorkloadGroup {
		return errors.New("run spec: the group workload's producers are kafka-go's; --client franz drives the queue workload")
	}
	if err := queueConfig(*w, nil).CheckClient(); err != nil {
		return fmt.Errorf("run spec: %w", err)
	}
	return nil
}

// queueConfig is the queue workload's config for w, its clients bootstrapping from bootstrap.
func queueConfig(w WorkloadSpec, bootstrap []string) workloads.QueueConfig {
	return workloads.QueueConfig{
		Bootstrap: bootstrap, Topic: w.Topic, Partitions: w.Partitions, Acks: w.Acks,
		Producers: w.Producers, Consumers: w.Consumers, MaxSends: w.MaxSends, Rate: w.Rate, InFlight: w.InFlight,
		CrashInterval: w.CrashInterval, Client: w.Client, Idempotent: w.Idempotent != nil && *w.Idempotent,
	}
}

// newRunConfig is config.json's first record of a spec whose defaults are filled in: the
// producer's settings and the anomalies they and the cluster config allow.
func newRunConfig(spec RunSpec) RunConfig {
	var producer *workloads.ProducerSettings
	var txnSettings *txn.Settings
	var allowed map[checker.AnomalyType]string
	switch spec.Workload.Name {
	case WorkloadTxn:
		txnSettings, allowed = txnRunConfig(spec)
	case WorkloadGroup:
		p := queueConfig(spec.Workload, nil).Producer()
		producer, allowed = &p, group.Allowed()
	default:
		p := queueConfig(spec.Workload, nil).Producer()
		producer, allowed = &p, workloads.QueueAllowed(p)
	}
	allowed = maps.Clone(allowed)
	if spec.Cluster.BrokerConfig["unclean.leader.election.enable"] == "true" {
		allowed[checker.UncleanElection] = "unclean.leader.election.enable=true: out-of-ISR leaders are configured, not a bug"
	}
	return RunConfig{Spec: spec, Seed: spec.Seed, Command: spec.Command, Producer: producer, Transactions: txnSettings, Allowed: allowed}
}
