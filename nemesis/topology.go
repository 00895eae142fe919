package nemesis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// errNotStarted answers every question about a cluster's state before it exists.
var errNotStarted = errors.New("the cluster has not started")

// shape is a cluster known only by its node names, for checks before anything starts.
type shape struct{ brokers, zookeepers []string }

func (s shape) Brokers() []string    { return s.brokers }
func (s shape) ZooKeepers() []string { return s.zookeepers }
func (shape) Controller(context.Context) (string, error) {
	return "", errNotStarted
}
func (shape) PartitionLeader(context.Context, string, int) (string, error) {
	return "", errNotStarted
}
func (shape) PartitionISR(context.Context, string, int) ([]string, error) {
	return nil, errNotStarted
}
func (shape) ZooKeeperLeader(context.Context) (string, error)          { return "", errNotStarted }
func (shape) GroupCoordinator(context.Context, string) (string, error) { return "", errNotStarted }
func (shape) Kill(context.Context, string) error                       { return errNotStarted }
func (shape) Start(context.Context, string) error                      { return errNotStarted }
func (shape) Pause(context.Context, string) error                      { return errNotStarted }
func (shape) Resume(context.Context, string) error                     { return errNotStarted }
func (shape) Cut(context.Context, []string, []string) error            { return errNotStarted }
func (shape) Loss(context.Context, float64, ...string) error           { return errNotStarted }
func (shape) Delay(context.Context, time.Duration, time.Duration, ...string) error {
	return errNotStarted
}
func (shape) Heal(context.Context) error { return errNotStarted }

// NetemAvailable cannot be known before start (it depends on the nodes' kernel): the run
// checks it again once the cluster is up.
func (shape) NetemAvailable(context.Context) error { return nil }

// CheckTopology says, before a cluster exists, which faults cannot run on one of this many
// brokers and ZooKeeper nodes (kill-zk-leader needs an ensemble of 3, partition-majority 3
// nodes, ...). What depends on the running cluster (netem support, the consumer group) is
// checked again after start; consumer-group faults are left to that check.
func CheckTopology(ctx context.Context, faults []Fault, brokers, zookeepers int) error {
	s := shape{}
	for i := 1; i <= brokers; i++ {
		s.brokers = append(s.brokers, fmt.Sprintf("kafka%d", i))
	}
	for i := 1; i <= zookeepers; i++ {
		s.zookeepers = append(s.zookeepers, fmt.Sprintf("zk%d", i))
	}
	group := Names(Config{}.GroupFaults())
	var errs []error
	for _, f := range faults {
		if slices.Contains(group, f.Name()) {
			continue
		}
		if err := f.Available(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("fault %s cannot run on %d brokers and %d ZooKeeper nodes: %w", f.Name(), brokers, zookeepers, err))
		}
	}
	return errors.Join(errs...)
}
