// Package nemesis injects faults into a Kafka cluster on a seeded schedule and records each
// injection and recovery in the history as nemesis (process -1) operations.
//
// It works over node names through the small Cluster interface, so it does not depend on the
// harness (the harness depends on it for its run loop).
package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"time"
)

// Cluster is what faults need from a cluster. Nodes are named "zk1", "ctl1", "kafka2", ...;
// "client" is the test process. Faults never ask which mode (ZooKeeper or KRaft) the cluster
// runs in: they ask for the brokers, the metadata quorum and the active controller.
type Cluster interface {
	Brokers() []string    // broker node names
	ZooKeepers() []string // ZooKeeper node names; none in KRaft mode
	// Quorum is the metadata quorum's nodes: the ZooKeeper ensemble in ZooKeeper mode, the
	// controller voters in KRaft mode. In KRaft combined mode they are brokers too, so a node
	// can be in both Brokers() and Quorum().
	Quorum() []string
	// Controller is the node name of the active controller in either mode: the broker named by
	// ZooKeeper's /controller, or the KRaft quorum leader, which in isolated mode is a
	// controller node such as "ctl2" and not a broker.
	Controller(ctx context.Context) (string, error)
	// Registered says whether the broker is registered and unfenced in the metadata quorum's
	// view: /brokers/ids/N exists in ZooKeeper mode; the controller lists it unfenced in KRaft.
	Registered(ctx context.Context, node string) (bool, error)
	PartitionLeader(ctx context.Context, topic string, partition int) (string, error)
	PartitionISR(ctx context.Context, topic string, partition int) ([]string, error)
	// ZooKeeperLeader is the ensemble leader (srvr "Mode: leader"); an error in KRaft mode,
	// so ZooKeeper faults report themselves unavailable there.
	ZooKeeperLeader(ctx context.Context) (string, error)
	GroupCoordinator(ctx context.Context, group string) (string, error) // node name of the group's coordinator (FindCoordinator)
	// TxnCoordinator is the node name of the broker coordinating the transactional id
	// (FindCoordinator with the transaction key type): the leader of its __transaction_state partition.
	TxnCoordinator(ctx context.Context, txnID string) (string, error)
	Kill(ctx context.Context, node string) error
	Start(ctx context.Context, node string) error
	Pause(ctx context.Context, node string) error
	Resume(ctx context.Context, node string) error
	Cut(ctx context.Context, a, b []string) error
	Loss(ctx context.Context, p float64, nodes ...string) error
	Delay(ctx context.Context, delay, jitter time.Duration, nodes ...string) error
	NetemAvailable(ctx context.Context) error
	Heal(ctx context.Context) error
	// LosesPower says why node's data cannot lose power (it does not sit on a filesystem that
	// keeps un-fsynced writes apart), or nil.
	LosesPower(node string) error
	// LoseUnfsynced drops what a killed node's data directories did not fsync, as a power cut
	// would, proves it (nothing is left that is not durable) and reports what was dropped.
	LoseUnfsynced(ctx context.Context, node string) ([]DataLoss, error)
}

// DataLoss is what a power loss dropped from one data directory of a node: bytes of file
// content and directory entries that were written and not fsynced.
type DataLoss struct {
	Node    string `json:"node"`
	Dir     string `json:"dir"`
	Bytes   int64  `json:"bytes"`
	Files   int    `json:"files"`
	Entries int    `json:"entries"`
}

// ClientNode is the name of the test process as a party to network cuts.
const ClientNode = "client"

// Fault is one kind of fault. Its name is also its CLI name.
type Fault interface {
	Name() string
	// Describe is a one-line description for `kafkaesque run --help`.
	Describe() string
	// Available says why the fault cannot run against this cluster, or nil.
	Available(ctx context.Context, c Cluster) error
	// Inject picks its targets (with rng, from the cluster's current state) and applies the
	// fault. On error the Injection still describes what was attempted, and is Recoverable when
	// the fault may have partly taken effect.
	Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error)
}

// Injection is what one Inject did to which nodes. It is the value of the nemesis info op.
type Injection struct {
	Fault  string   `json:"fault"`
	Action string   `json:"action,omitempty"` // kill, pause, cut, loss, delay
	Nodes  []string `json:"nodes,omitempty"`  // the nodes the fault was applied to (for cuts: one side)
	From   []string `json:"from,omitempty"`   // cuts: the side Nodes were cut off from
	// Partition is the topic-partition ("kafkaesque-0") whose leader a leader fault targeted,
	// so an analysis can measure the time until it has a new leader.
	Partition string  `json:"partition,omitempty"`
	Loss      float64 `json:"loss,omitempty"`      // loss: fraction of packets dropped
	DelayMS   int64   `json:"delay_ms,omitempty"`  // delay: added latency
	JitterMS  int64   `json:"jitter_ms,omitempty"` // delay: its jitter
	// Group is the consumer group a coordinator or group-leader fault aimed at.
	Group string `json:"group,omitempty"`
	// TxnID is the transactional id a transaction fault aimed at: the one whose coordinator it
	// hit, or the one pause-client held.
	TxnID string `json:"txn_id,omitempty"`
	// Member and Process name the group-leader consumer that kill-group-leader crashed; Process
	// also the client pause-client held.
	Member  string `json:"member,omitempty"`
	Process *int   `json:"process,omitempty"`
	// Lost is what each node a power fault cut lost: its un-fsynced bytes and entries.
	Lost []DataLoss `json:"lost,omitempty"`

	recover func(ctx context.Context) error
}

// Recoverable reports whether the injection has something to undo.
func (in Injection) Recoverable() bool { return in.recover != nil }

// Recover undoes the injection: starts a killed node, resumes a paused one, or heals the network.
func (in Injection) Recover(ctx context.Context) error {
	if in.recover == nil {
		return nil
	}
	if err := in.recover(ctx); err != nil {
		return fmt.Errorf("recover %s: %w", in.Fault, err)
	}
	return nil
}

// String is a short description for progress output, e.g. "kill-leader kafka2 (kafkaesque-0)".
func (in Injection) String() string {
	s := in.Fault
	if len(in.Nodes) > 0 {
		s += " " + strings.Join(in.Nodes, ",")
	}
	if len(in.From) > 0 {
		s += " | " + strings.Join(in.From, ",")
	}
	if in.Partition != "" {
		s += " (" + in.Partition + ")"
	}
	if in.Group != "" {
		s += " (group " + in.Group + ")"
	}
	if in.TxnID != "" {
		s += " (txn " + in.TxnID + ")"
	}
	return s
}

// Config is what faults need to know about the run.
type Config struct {
	// Topic is the run's topic; leader faults pick one of its partitions. Default "kafkaesque".
	Topic string
	// Partitions is the topic's partition count. Default 3.
	Partitions int
	// BrokerSessionTimeout is the brokers' session with the metadata quorum
	// (zookeeper.session.timeout.ms, or broker.session.timeout.ms in KRaft). A killed broker is
	// restarted only after its old session has expired: in ZooKeeper mode its ephemeral
	// /brokers/ids/<id> lives until then, and Kafka exits at start-up finding it. Default 6 s,
	// the harness's ZooKeeper setting.
	BrokerSessionTimeout time.Duration
	// FenceTimeout bounds how long fence-broker waits for its broker to drop out of the
	// quorum's view, and its recovery for the broker to come back. Default 30 s.
	FenceTimeout time.Duration
	// ReplicaLagTime is the brokers' replica.lag.time.max.ms: how long a cut-off follower stays
	// in the ISR. Default 10 s, the harness's setting.
	ReplicaLagTime time.Duration
	// Group is the consumer group of the group workload; coordinator faults need it.
	Group string
	// Members is the group workload's consumers; kill-group-leader needs it.
	Members GroupMembers
	// Txn is the txn workload's transactional clients; the transaction faults need it. Nil
	// unless the txn workload runs.
	Txn TxnClients
}

// The harness's default topic, so a zero Config matches a default cluster.
const (
	defaultTopic      = "kafkaesque"
	defaultPartitions = 3
	defaultSession    = 6 * time.Second
	// defaultFenceTimeout covers a ZooKeeper session (6 s here, 18 s by default) or a KRaft
	// broker session (9 s by default) expiring, with room for the expiry tick.
	defaultFenceTimeout = 30 * time.Second
)

func (cfg Config) withDefaults() Config {
	if cfg.Topic == "" {
		cfg.Topic = defaultTopic
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = defaultPartitions
	}
	if cfg.BrokerSessionTimeout <= 0 {
		cfg.BrokerSessionTimeout = defaultSession
	}
	if cfg.FenceTimeout <= 0 {
		cfg.FenceTimeout = defaultFenceTimeout
	}
	if cfg.ReplicaLagTime <= 0 {
		cfg.ReplicaLagTime = 10 * time.Second
	}
	return cfg
}

// registry lists every fault's constructor. Faults are values built from the run's Config.
var registry = []func(Config) Fault{
	killControllerFault, killLeaderFault, killRandomFault, killZooKeeperLeaderFault,
	pauseControllerFault, pauseLeaderFault,
	isolateLeaderFault, isolateControllerFault, isolateBrokerFault, isolateZooKeeperFault,
	partitionMajorityFault, killISRFaultOf,
	netemDelayFault, netemLossFault,
	partitionQuorumFault, isolateControllerFromQuorumFault, fenceBrokerFault,
	powerLossLeaderFault, powerLossControllerFault, powerLossZooKeeperLeaderFault, powerLossAllFault, powerLossLastReplicaFaultOf,
}

// All returns every fault for the default Config, sorted by name.
func All() []Fault { return Config{}.All() }

// Lookup returns the named faults for the default Config.
func Lookup(names []string) ([]Fault, error) { return Config{}.Lookup(names) }

// All returns every fault for cfg, sorted by name.
// It leaves out the consumer-group faults (GroupFaults) and the transaction faults (TxnFaults).
func (cfg Config) All() []Fault {
	cfg = cfg.withDefaults()
	faults := make([]Fault, len(registry))
	for i, mk := range registry {
		faults[i] = mk(cfg)
	}
	slices.SortFunc(faults, func(a, b Fault) int { return strings.Compare(a.Name(), b.Name()) })
	return faults
}

// Lookup returns the named faults for cfg, in the order given, without duplicates. An unknown
// name is an error listing the valid ones.
func (cfg Config) Lookup(names []string) ([]Fault, error) {
	all := slices.Concat(cfg.All(), cfg.GroupFaults(), cfg.TxnFaults())
	var out []Fault
	seen := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(all, func(f Fault) bool { return f.Name() == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown fault %q (valid: %s)", name, strings.Join(Names(all), ", "))
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, all[i])
		}
	}
	return out, nil
}

// Names returns the faults' names.
func Names(faults []Fault) []string {
	names := make([]string, len(faults))
	for i, f := range faults {
		names[i] = f.Name()
	}
	return names
}

// CheckAvailable returns an error naming each fault that cannot run against c, and why.
func CheckAvailable(ctx context.Context, c Cluster, faults []Fault) error {
	var errs []error
	for _, f := range faults {
		if err := f.Available(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("fault %s unavailable: %w", f.Name(), err))
		}
	}
	return errors.Join(errs...)
}
