package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
)

// GroupMembers is the group workload's consumers as the nemesis sees them. The consumers live
// in the test process, not the cluster, so the harness hands this handle to the faults through
// Config.Members.
type GroupMembers interface {
	// CrashLeader crashes the consumer that leads the group now, as a killed process would: it
	// stops without leaving the group. It returns the crashed member's id and process.
	CrashLeader(ctx context.Context) (member string, process int, err error)
	// Restart starts a consumer in place of the crashed member, under a new process id and
	// with no member id, as a restarted process would.
	Restart(ctx context.Context, member string) error
}

// GroupFaults returns the consumer-group faults for cfg, sorted by name. They need the group
// workload: Available says so when cfg has no Group or Members.
func (cfg Config) GroupFaults() []Fault {
	cfg = cfg.withDefaults()
	faults := []Fault{
		coordinatorFault{"isolate-coordinator", "cut the consumer group's coordinator off from the other brokers and the metadata quorum; the client still reaches it", "cut", keyGroup, cfg},
		coordinatorFault{"kill-coordinator", "SIGKILL the consumer group's coordinator (FindCoordinator); restart it once its session has expired", string(actionKill), keyGroup, cfg},
		groupLeaderFault{cfg},
		coordinatorFault{"pause-coordinator", "SIGSTOP the consumer group's coordinator; SIGCONT it after the hold", string(actionPause), keyGroup, cfg},
	}
	slices.SortFunc(faults, func(a, b Fault) int { return strings.Compare(a.Name(), b.Name()) })
	return faults
}

// GroupFaults returns the consumer-group faults for the default Config.
func GroupFaults() []Fault { return Config{}.GroupFaults() }

// coordinatorKey says which coordinator a coordinator fault aims at: FindCoordinator's key type.
type coordinatorKey int

const (
	keyGroup coordinatorKey = iota // the run's consumer group (__consumer_offsets)
	keyTxn                         // a transactional id of the txn workload (__transaction_state)
)

// coordinatorFault kills, pauses or isolates the broker that coordinates the run's group, or
// one of the txn workload's transactional ids.
type coordinatorFault struct {
	name, description, action string
	key                       coordinatorKey
	cfg                       Config
}

func (f coordinatorFault) Name() string     { return f.name }
func (f coordinatorFault) Describe() string { return f.description }

func (f coordinatorFault) Available(_ context.Context, c Cluster) error {
	if f.key == keyGroup && f.cfg.Group == "" {
		return errors.New("needs a consumer group (run the group workload)")
	}
	if f.key == keyTxn && f.cfg.Txn == nil {
		return errTxnWorkload
	}
	if len(c.Brokers()) == 0 {
		return errors.New("the cluster has no brokers")
	}
	if n := len(allNodes(c)); f.action == "cut" && n < 2 {
		return fmt.Errorf("needs another node to cut the coordinator from, the cluster has %d", n)
	}
	return nil
}

func (f coordinatorFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.name, Action: f.action}
	node, err := f.coordinator(ctx, c, rng, &inj)
	if err != nil {
		return inj, err
	}
	if f.action == "cut" {
		inj.Nodes = []string{node}
		inj.From = sorted(without(allNodes(c), node))
		return cut(ctx, c, inj)
	}
	inj.Nodes = []string{node}
	return applyProcessAction(ctx, c, f.cfg, processAction(f.action), node, inj)
}

// coordinator finds the coordinator the fault aims at, and records its key (the group, or the
// transactional id it picked with rng) in inj.
func (f coordinatorFault) coordinator(ctx context.Context, c Cluster, rng *rand.Rand, inj *Injection) (string, error) {
	var what, node string
	var err error
	switch f.key {
	case keyGroup:
		inj.Group, what = f.cfg.Group, "group "+f.cfg.Group
		node, err = c.GroupCoordinator(ctx, f.cfg.Group)
	case keyTxn:
		ids := sorted(f.cfg.Txn.TransactionalIDs()) // sorted: the seed, not the workload's order, picks
		if len(ids) == 0 {
			return "", errors.New("the txn workload has no transactional ids")
		}
		inj.TxnID = ids[rng.Intn(len(ids))]
		what = "transactional id " + inj.TxnID
		node, err = c.TxnCoordinator(ctx, inj.TxnID)
	default:
		return "", fmt.Errorf("unknown coordinator key %d", f.key)
	}
	if err != nil {
		return "", fmt.Errorf("find the coordinator of %s: %w", what, err)
	}
	if node == "" {
		return "", fmt.Errorf("%s has no coordinator", what)
	}
	return node, nil
}

// groupLeaderFault crashes the consumer that leads the group (it assigns the partitions).
type groupLeaderFault struct{ cfg Config }

func (groupLeaderFault) Name() string { return "kill-group-leader" }
func (groupLeaderFault) Describe() string {
	return "crash the consumer that leads the group (no LeaveGroup); restart it under a new process id after the hold"
}

func (f groupLeaderFault) Available(context.Context, Cluster) error {
	if f.cfg.Members == nil || f.cfg.Group == "" {
		return errors.New("needs the group workload's consumers (run the group workload)")
	}
	return nil
}

func (f groupLeaderFault) Inject(ctx context.Context, _ Cluster, _ *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.Name(), Action: "crash-consumer", Group: f.cfg.Group}
	member, process, err := f.cfg.Members.CrashLeader(ctx)
	if err != nil {
		return inj, fmt.Errorf("crash the leader of group %s: %w", f.cfg.Group, err)
	}
	inj.Member, inj.Process = member, &process
	inj.recover = func(ctx context.Context) error { return f.cfg.Members.Restart(ctx, member) }
	return inj, nil
}
