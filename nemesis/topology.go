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

// Topology is a cluster's shape before it starts: how many nodes of each kind. Nodes are named
// kafkaN, zkN, and ctlN for KRaft controllers in isolated mode; in combined mode the first
// Controllers brokers are the controller quorum.
type Topology struct {
	Brokers     int
	ZooKeepers  int  // ZooKeeper mode's ensemble
	Controllers int  // KRaft mode's controller voters
	Combined    bool // KRaft: the controllers are brokers too (process.roles=broker,controller)
}

// validate refuses shapes no cluster has: a mode must be chosen, and combined controllers must
// be brokers.
func (t Topology) validate() error {
	switch {
	case t.Brokers < 0 || t.ZooKeepers < 0 || t.Controllers < 0:
		return fmt.Errorf("topology %+v: negative node count", t)
	case t.ZooKeepers > 0 && t.Controllers > 0:
		return fmt.Errorf("topology %+v: ZooKeeper nodes and KRaft controllers together", t)
	case t.Combined && t.Controllers == 0:
		return fmt.Errorf("topology %+v: combined mode without controllers", t)
	case t.Combined && t.Controllers > t.Brokers:
		return fmt.Errorf("topology %+v: %d combined controllers but only %d brokers", t, t.Controllers, t.Brokers)
	}
	return nil
}

// String is the shape for error messages, e.g. "3 brokers and 1 ZooKeeper nodes".
func (t Topology) String() string {
	switch {
	case t.Combined:
		return fmt.Sprintf("%d brokers, %d of them also controllers (combined)", t.Brokers, t.Controllers)
	case t.Controllers > 0:
		return fmt.Sprintf("%d brokers and %d controllers", t.Brokers, t.Controllers)
	}
	return fmt.Sprintf("%d brokers and %d ZooKeeper nodes", t.Brokers, t.ZooKeepers)
}

// shape is a cluster known only by its node names, for checks before anything starts.
type shape struct {
	brokers, zookeepers, quorum []string
	controller                  string // known before start only for a single KRaft controller
}

func newShape(t Topology) shape {
	var s shape
	for i := 1; i <= t.Brokers; i++ {
		s.brokers = append(s.brokers, fmt.Sprintf("kafka%d", i))
	}
	for i := 1; i <= t.ZooKeepers; i++ {
		s.zookeepers = append(s.zookeepers, fmt.Sprintf("zk%d", i))
	}
	switch {
	case t.Combined:
		s.quorum = slices.Clone(s.brokers[:t.Controllers])
	case t.Controllers > 0:
		for i := 1; i <= t.Controllers; i++ {
			s.quorum = append(s.quorum, fmt.Sprintf("ctl%d", i))
		}
	default:
		s.quorum = slices.Clone(s.zookeepers)
	}
	if t.Controllers == 1 {
		s.controller = s.quorum[0] // a quorum of one is always its own leader
	}
	return s
}

func (s shape) Brokers() []string    { return s.brokers }
func (s shape) ZooKeepers() []string { return s.zookeepers }
func (s shape) Quorum() []string     { return s.quorum }

// Controller is known before start only where the shape decides it (a single KRaft controller).
func (s shape) Controller(context.Context) (string, error) {
	if s.controller != "" {
		return s.controller, nil
	}
	return "", errNotStarted
}
func (shape) Registered(context.Context, string) (bool, error) { return false, errNotStarted }
func (shape) PartitionLeader(context.Context, string, int) (string, error) {
	return "", errNotStarted
}
func (shape) PartitionISR(context.Context, string, int) ([]string, error) {
	return nil, errNotStarted
}
func (shape) ZooKeeperLeader(context.Context) (string, error)          { return "", errNotStarted }
func (shape) GroupCoordinator(context.Context, string) (string, error) { return "", errNotStarted }
func (shape) TxnCoordinator(context.Context, string) (string, error)   { return "", errNotStarted }
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

// LosesPower: the harness puts the data of the nodes a scheduled power fault needs on lazyfs
// (PowerNeeds), and the run checks again once the cluster is up.
func (shape) LosesPower(string) error { return nil }
func (shape) LoseUnfsynced(context.Context, string) ([]DataLoss, error) {
	return nil, errNotStarted
}

// NetemAvailable cannot be known before start (it depends on the nodes' kernel): the run
// checks it again once the cluster is up.
func (shape) NetemAvailable(context.Context) error { return nil }

// CheckTopology says, before a cluster exists, which faults cannot run on a cluster of this
// shape (kill-zk-leader needs an ensemble of 3, partition-quorum a quorum of 3, fence-broker a
// broker outside the quorum, ...). What depends on the running cluster (netem support, the
// consumer group, the txn workload's clients) is checked again after start; consumer-group and
// transaction faults are left to that check.
func CheckTopology(ctx context.Context, faults []Fault, t Topology) error {
	if err := t.validate(); err != nil {
		return err
	}
	s := newShape(t)
	workloadFaults := Names(slices.Concat(Config{}.GroupFaults(), Config{}.TxnFaults()))
	var errs []error
	for _, f := range faults {
		if slices.Contains(workloadFaults, f.Name()) {
			continue
		}
		if err := f.Available(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("fault %s cannot run on %s: %w", f.Name(), t, err))
		}
	}
	return errors.Join(errs...)
}
