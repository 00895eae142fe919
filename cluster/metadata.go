package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
)

// metadata is where a cluster's leadership state is read: ZooKeeper's znodes in ZooKeeper mode,
// the KRaft quorum and the brokers' metadata in KRaft mode. Everything above it (readiness,
// recovery, the nemesis' targets) is the same in both modes.
type metadata interface {
	// Controller is the node id of the active controller, or -1 when none is elected.
	Controller(ctx context.Context) (int, error)
	// Partitions is the state of each partition of topic, sorted by partition.
	Partitions(ctx context.Context, topic string) ([]kafkastate.PartitionState, error)
	// Brokers is the sorted ids of the brokers registered (and, in KRaft, unfenced).
	Brokers(ctx context.Context) ([]int, error)
	Close()
}

// zkMetadata reads the state from ZooKeeper.
type zkMetadata struct{ z *kafkastate.ZooKeeper }

func (m zkMetadata) Controller(context.Context) (int, error) {
	s, err := m.z.Controller()
	return s.Controller, err
}
func (m zkMetadata) Partitions(_ context.Context, topic string) ([]kafkastate.PartitionState, error) {
	return m.z.Partitions(topic)
}
func (m zkMetadata) Brokers(context.Context) ([]int, error) { return m.z.Brokers() }
func (m zkMetadata) Close()                                 { m.z.Close() }

// dialMetadata opens the cluster's state source for its lifetime (closed by Close).
func (c *Cluster) dialMetadata(ctx context.Context) error {
	if c.meta != nil {
		return nil
	}
	if c.Config.Mode == ModeKRaft {
		m, err := kafkastate.DialKRaft(c.voterEndpoints(), endpoints(c.Brokers))
		if err != nil {
			return err
		}
		c.meta, c.kraft = m, m
		return nil
	}
	z, err := kafkastate.DialZooKeeper(ctx, c.ZooKeeperServers())
	if err != nil {
		return err
	}
	c.meta = zkMetadata{z}
	return nil
}

// ControllerNode returns the active controller's node.
func (c *Cluster) ControllerNode(ctx context.Context) (*Node, error) {
	id, err := c.meta.Controller(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the controller: %w", err)
	}
	n := c.nodeByID(id)
	if n == nil {
		return nil, fmt.Errorf("no controller elected (the metadata names %d)", id)
	}
	return n, nil
}

// nodeByID returns the node whose Kafka node id is id (a broker, or a KRaft controller), or nil.
func (c *Cluster) nodeByID(id int) *Node {
	if b := c.Broker(id); b != nil {
		return b
	}
	for _, n := range c.Controllers {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// PartitionStates returns the leader, leader epoch and ISR of each partition of topic.
func (c *Cluster) PartitionStates(ctx context.Context, topic string) ([]kafkastate.PartitionState, error) {
	return c.meta.Partitions(ctx, topic)
}

// PartitionState returns the state of one partition.
func (c *Cluster) PartitionState(ctx context.Context, topic string, partition int) (kafkastate.PartitionState, error) {
	states, err := c.meta.Partitions(ctx, topic)
	if err != nil {
		return kafkastate.PartitionState{}, err
	}
	for _, s := range states {
		if s.Partition == partition {
			return s, nil
		}
	}
	return kafkastate.PartitionState{}, fmt.Errorf("%s-%d: no such partition", topic, partition)
}

// RegisteredBrokers returns the sorted ids of the brokers the metadata lists as registered.
func (c *Cluster) RegisteredBrokers(ctx context.Context) ([]int, error) { return c.meta.Brokers(ctx) }

// WaitBrokersRegistered waits until every broker of the cluster is registered.
func (c *Cluster) WaitBrokersRegistered(ctx context.Context) error {
	want := make([]int, len(c.Brokers))
	for i, b := range c.Brokers {
		want[i] = b.ID
	}
	return waitFor(ctx, fmt.Sprintf("brokers %v registered", want), 100*time.Millisecond, func() (bool, error) {
		ids, err := c.meta.Brokers(ctx)
		return slices.Equal(ids, want), err
	})
}

// waitQuorumWhole waits, in KRaft, until every voter answers DescribeQuorum, one of them as
// the leader, and the leader reports every voter caught up within the fetch timeout: a
// controller left down or cut off must not pass for a recovered cluster.
func (c *Cluster) waitQuorumWhole(ctx context.Context) error {
	m := c.kraft
	if m == nil {
		return nil
	}
	return waitFor(ctx, "every controller voter answering and caught up", 250*time.Millisecond, func() (bool, error) {
		var leader *kafkastate.QuorumView
		for _, v := range m.DescribeQuorum(ctx) {
			if v.Err != nil {
				return false, v.Err
			}
			if v.IsLeader && (leader == nil || v.Epoch > leader.Epoch) {
				leader = &v
			}
		}
		if leader == nil {
			return false, errors.New("no voter answers as the quorum's leader")
		}
		if lagging := leader.Lagging(time.Now(), QuorumFetchTimeout(c.Config)); len(lagging) > 0 {
			return false, fmt.Errorf("voters %v are not caught up with the leader %s", lagging, leader.Node.Name)
		}
		return true, nil
	})
}

// QuorumFetchTimeout is the cluster's controller.quorum.fetch.timeout.ms, or Kafka's default.
func QuorumFetchTimeout(cfg Config) time.Duration {
	if ms, err := strconv.Atoi(cfg.BrokerConfig["controller.quorum.fetch.timeout.ms"]); err == nil {
		return time.Duration(ms) * time.Millisecond
	}
	return kafkastate.DefaultFetchTimeout
}

// WaitRecovered waits until every broker is registered and every partition of topic has a
// leader and an ISR of at least rf replicas again.
func (c *Cluster) WaitRecovered(ctx context.Context, topic string, rf int) error {
	if err := c.waitQuorumWhole(ctx); err != nil {
		return err
	}
	if err := c.WaitBrokersRegistered(ctx); err != nil {
		return err
	}
	return waitFor(ctx, "every partition led, with a full ISR", 250*time.Millisecond, func() (bool, error) {
		parts, err := c.meta.Partitions(ctx, topic)
		if err != nil {
			return false, err
		}
		for _, p := range parts {
			if p.Leader < 0 || len(p.ISR) < rf {
				return false, fmt.Errorf("%s-%d: leader %d, isr %v", topic, p.Partition, p.Leader, p.ISR)
			}
		}
		return len(parts) > 0, nil
	})
}
