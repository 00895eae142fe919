package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
)

// target says which node a single-node fault picks.
type target int

const (
	targetController      target = iota // the active controller (a broker, or a KRaft controller node)
	targetLeader                        // the leader of a random partition of the run's topic
	targetRandomBroker                  // any broker
	targetZooKeeperLeader               // the ensemble leader
)

// pick chooses the target node. For targetLeader it also returns the partition ("topic-p"),
// even when finding its leader fails, so a failed injection still says what it tried.
func (t target) pick(ctx context.Context, c Cluster, cfg Config, rng *rand.Rand) (node, partition string, err error) {
	switch t {
	case targetController:
		node, err = c.Controller(ctx)
		if err != nil {
			return "", "", fmt.Errorf("find the controller: %w", err)
		}
	case targetLeader:
		p := rng.Intn(cfg.Partitions)
		partition = fmt.Sprintf("%s-%d", cfg.Topic, p)
		node, err = c.PartitionLeader(ctx, cfg.Topic, p)
		if err != nil {
			return "", partition, fmt.Errorf("find the leader of %s: %w", partition, err)
		}
	case targetRandomBroker:
		brokers := c.Brokers()
		if len(brokers) == 0 {
			return "", "", errors.New("the cluster has no brokers")
		}
		node = brokers[rng.Intn(len(brokers))]
	case targetZooKeeperLeader:
		node, err = c.ZooKeeperLeader(ctx)
		if err != nil {
			return "", "", fmt.Errorf("find the ZooKeeper leader: %w", err)
		}
	default:
		return "", "", fmt.Errorf("unknown target %d", t)
	}
	if node == "" {
		return "", partition, errors.New("the cluster named no target node")
	}
	return node, partition, nil
}

// available checks the cluster has what the target needs.
func (t target) available(c Cluster, cfg Config) error {
	switch t {
	case targetZooKeeperLeader:
		if n := len(c.ZooKeepers()); n < 3 {
			return fmt.Errorf("needs a ZooKeeper ensemble of 3 nodes, the cluster has %d", n)
		}
	case targetLeader:
		if cfg.Topic == "" || cfg.Partitions < 1 {
			return fmt.Errorf("needs a topic with partitions, got %q with %d", cfg.Topic, cfg.Partitions)
		}
		fallthrough
	default:
		if len(c.Brokers()) == 0 {
			return errors.New("the cluster has no brokers")
		}
	}
	return nil
}

// allNodes is every broker and every quorum node, each once (in combined mode the controllers
// are brokers too), brokers first.
func allNodes(c Cluster) []string {
	nodes := c.Brokers()
	for _, n := range c.Quorum() {
		if !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// without returns nodes minus the excluded ones, in order.
func without(nodes []string, excluded ...string) []string {
	var out []string
	for _, n := range nodes {
		if !slices.Contains(excluded, n) {
			out = append(out, n)
		}
	}
	return out
}

// sorted returns a sorted copy, for readable records.
func sorted(nodes []string) []string {
	out := slices.Clone(nodes)
	slices.Sort(out)
	return out
}
