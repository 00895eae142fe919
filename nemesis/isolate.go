package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
)

// isolateFault cuts one node off from every other broker and quorum node (or a broker from
// ZooKeeper only). The client is on neither side, so producers still reach the node.
type isolateFault struct {
	name, description string
	target            target
	zooKeeperOnly     bool
	cfg               Config
}

func isolateLeaderFault(cfg Config) Fault {
	return isolateFault{"isolate-leader", "cut the leader of a random partition off from the other brokers and the metadata quorum; the client still reaches it", targetLeader, false, cfg}
}

func isolateControllerFault(cfg Config) Fault {
	return isolateFault{"isolate-controller", "cut the active controller off from every other broker and quorum node; the client still reaches it", targetController, false, cfg}
}

func isolateBrokerFault(cfg Config) Fault {
	return isolateFault{"isolate-broker", "cut a random broker off from the other brokers and the metadata quorum; the client still reaches it", targetRandomBroker, false, cfg}
}

func isolateZooKeeperFault(cfg Config) Fault {
	return isolateFault{"isolate-zk", "cut a random broker off from ZooKeeper only; brokers and the client still reach it (fence-broker is the same in either mode)", targetRandomBroker, true, cfg}
}

func (f isolateFault) Name() string     { return f.name }
func (f isolateFault) Describe() string { return f.description }

func (f isolateFault) Available(_ context.Context, c Cluster) error {
	if err := f.target.available(c, f.cfg); err != nil {
		return err
	}
	if f.zooKeeperOnly && len(c.ZooKeepers()) == 0 {
		return errors.New("the cluster has no ZooKeeper nodes")
	}
	if n := len(allNodes(c)); n < 2 {
		return fmt.Errorf("needs another node to cut the target from, the cluster has %d", n)
	}
	return nil
}

func (f isolateFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	inj := Injection{Fault: f.name, Action: "cut"}
	node, partition, err := f.target.pick(ctx, c, f.cfg, rng)
	inj.Partition = partition
	if err != nil {
		return inj, err
	}
	others := without(allNodes(c), node) // the controller may be a broker, a quorum node, or both
	if f.zooKeeperOnly {
		others = c.ZooKeepers()
	}
	inj.Nodes, inj.From = []string{node}, sorted(others)
	return cut(ctx, c, inj)
}

func partitionMajorityFault(Config) Fault { return majorityFault{} }

// majorityFault splits every node (each broker and each quorum node once: ZooKeeper nodes, or
// KRaft controllers, which in combined mode are the brokers themselves) into a majority and a
// minority that cannot reach each other. The client reaches both sides.
type majorityFault struct{}

func (majorityFault) Name() string { return "partition-majority" }
func (majorityFault) Describe() string {
	return "split brokers and quorum nodes, shuffled, into a majority and a minority; the client reaches both"
}

func (majorityFault) Available(_ context.Context, c Cluster) error {
	if n := len(allNodes(c)); n < 3 {
		return fmt.Errorf("needs at least 3 nodes for a minority of one, the cluster has %d", n)
	}
	return nil
}

func (f majorityFault) Inject(ctx context.Context, c Cluster, rng *rand.Rand) (Injection, error) {
	minority, majority := split(allNodes(c), rng)
	inj := Injection{Fault: f.Name(), Action: "cut", Nodes: minority, From: majority}
	return cut(ctx, c, inj)
}

// split shuffles nodes into the largest group that is still not a majority and the rest, each
// sorted. It shuffles a copy: the cluster's slices keep their order.
func split(nodes []string, rng *rand.Rand) (minority, majority []string) {
	nodes = slices.Clone(nodes)
	rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	m := (len(nodes) - 1) / 2
	return sorted(nodes[:m]), sorted(nodes[m:])
}

// cut applies inj's cut, Nodes against From; Heal recovers it.
func cut(ctx context.Context, c Cluster, inj Injection) (Injection, error) {
	// Set before cutting: a cut that failed its proof may still have installed rules.
	inj.recover = c.Heal
	if err := c.Cut(ctx, inj.Nodes, inj.From); err != nil {
		return inj, fmt.Errorf("cut %v from %v: %w", inj.Nodes, inj.From, err)
	}
	return inj, nil
}
