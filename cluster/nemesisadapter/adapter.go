// Package nemesisadapter presents a cluster to the nemesis (nemesis.Cluster) over node names,
// so the nemesis needs nothing from the cluster package but that small interface, and does not
// know which mode the cluster runs in.
package nemesisadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/segmentio/kafka-go"
)

// nemesisCluster presents a Cluster to the nemesis over node names.
type nemesisCluster struct{ c *cluster.Cluster }

var _ nemesis.Cluster = (*nemesisCluster)(nil)

// New adapts the cluster to nemesis.Cluster.
func New(c *cluster.Cluster) nemesis.Cluster { return &nemesisCluster{c: c} }

func (n *nemesisCluster) node(name string) (*cluster.Node, error) {
	if name == n.c.Client.Name {
		return n.c.Client, nil
	}
	if node := n.c.Node(name); node != nil {
		return node, nil
	}
	return nil, fmt.Errorf("no node named %q", name)
}

func (n *nemesisCluster) nodes(names []string) ([]*cluster.Node, error) {
	out := make([]*cluster.Node, len(names))
	for i, name := range names {
		node, err := n.node(name)
		if err != nil {
			return nil, err
		}
		out[i] = node
	}
	return out, nil
}

func (n *nemesisCluster) Brokers() []string    { return cluster.Names(n.c.Brokers) }
func (n *nemesisCluster) ZooKeepers() []string { return cluster.Names(n.c.ZooKeepers) }

// Quorum is the metadata quorum: the ZooKeeper ensemble, or the KRaft controller voters.
func (n *nemesisCluster) Quorum() []string {
	if n.c.Config.Mode == cluster.ModeKRaft {
		return cluster.Names(n.c.Voters())
	}
	return cluster.Names(n.c.ZooKeepers)
}

// Registered says whether the metadata lists the broker as registered (ZooKeeper:
// /brokers/ids/<id> exists).
func (n *nemesisCluster) Registered(ctx context.Context, name string) (bool, error) {
	b, err := n.node(name)
	if err != nil {
		return false, err
	}
	if n.c.Broker(b.ID) != b {
		return false, fmt.Errorf("%s is not a broker", name)
	}
	ids, err := n.c.RegisteredBrokers(ctx)
	if err != nil {
		return false, fmt.Errorf("read the registered brokers: %w", err)
	}
	return slices.Contains(ids, b.ID), nil
}

func (n *nemesisCluster) Controller(ctx context.Context) (string, error) {
	node, err := n.c.ControllerNode(ctx)
	if err != nil {
		return "", err
	}
	return node.Name, nil
}

func (n *nemesisCluster) PartitionLeader(ctx context.Context, topic string, partition int) (string, error) {
	s, err := n.c.PartitionState(ctx, topic, partition)
	if err != nil {
		return "", err
	}
	b := n.c.Broker(s.Leader)
	if b == nil {
		return "", fmt.Errorf("%s-%d has no leader (leader %d)", topic, partition, s.Leader)
	}
	return b.Name, nil
}

func (n *nemesisCluster) PartitionISR(ctx context.Context, topic string, partition int) ([]string, error) {
	s, err := n.c.PartitionState(ctx, topic, partition)
	if err != nil {
		return nil, err
	}
	isr := make([]string, 0, len(s.ISR))
	for _, id := range s.ISR {
		b := n.c.Broker(id)
		if b == nil {
			return nil, fmt.Errorf("%s-%d: ISR names unknown broker %d", topic, partition, id)
		}
		isr = append(isr, b.Name)
	}
	return isr, nil
}

// ZooKeeperLeader asks each ZooKeeper node for its mode (the srvr four-letter word).
func (n *nemesisCluster) ZooKeeperLeader(ctx context.Context) (string, error) {
	zks := make([]kafkastate.Endpoint, len(n.c.ZooKeepers))
	for i, z := range n.c.ZooKeepers {
		zks[i] = z.Endpoint()
	}
	return kafkastate.ZooKeeperLeader(ctx, zks)
}

// GroupCoordinator asks the brokers (FindCoordinator) which one coordinates group.
func (n *nemesisCluster) GroupCoordinator(ctx context.Context, group string) (string, error) {
	return n.coordinator(ctx, "group "+group, group, kafka.CoordinatorKeyTypeConsumer)
}

// TxnCoordinator asks the brokers (FindCoordinator) which one coordinates the transactional id:
// the leader of its __transaction_state partition. A broker answers for an id no producer has
// used yet, once __transaction_state exists (the first look-up creates it).
func (n *nemesisCluster) TxnCoordinator(ctx context.Context, txnID string) (string, error) {
	return n.coordinator(ctx, "transactional id "+txnID, txnID, kafka.CoordinatorKeyTypeTransaction)
}

// coordinatorRetry bounds how long a look-up retries a retriable answer (coordinator not
// available while its topic is created or its partition moves, or loading).
const coordinatorRetry = 15 * time.Second

// coordinator finds the node that coordinates key (what names it in errors), retrying
// retriable error codes for up to coordinatorRetry.
func (n *nemesisCluster) coordinator(ctx context.Context, what, key string, keyType kafka.CoordinatorKeyType) (string, error) {
	transport := &kafka.Transport{DialTimeout: 3 * time.Second}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(n.c.BootstrapServers()...), Timeout: 5 * time.Second, Transport: transport}
	deadline := time.Now().Add(coordinatorRetry)
	for {
		res, err := client.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: key, KeyType: keyType})
		if err != nil {
			return "", fmt.Errorf("find coordinator of %s: %w", what, err)
		}
		var kerr kafka.Error
		if errors.As(res.Error, &kerr) && kerr.Temporary() && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("find coordinator of %s: %w (last answer: %w)", what, context.Cause(ctx), res.Error)
			case <-time.After(250 * time.Millisecond):
				continue
			}
		}
		if res.Error != nil {
			return "", fmt.Errorf("find coordinator of %s: %w", what, res.Error)
		}
		if res.Coordinator == nil {
			return "", fmt.Errorf("find coordinator of %s: no coordinator in the response", what)
		}
		b := n.c.Broker(res.Coordinator.NodeID)
		if b == nil {
			return "", fmt.Errorf("%s: coordinator is unknown broker %d", what, res.Coordinator.NodeID)
		}
		return b.Name, nil
	}
}

func (n *nemesisCluster) Kill(ctx context.Context, name string) error {
	return n.do(name, func(node *cluster.Node) error { return n.c.KillNode(ctx, node) })
}

func (n *nemesisCluster) Start(ctx context.Context, name string) error {
	return n.do(name, func(node *cluster.Node) error { return n.c.StartNode(ctx, node) })
}

func (n *nemesisCluster) Pause(ctx context.Context, name string) error {
	return n.do(name, func(node *cluster.Node) error { return n.c.PauseNode(ctx, node) })
}

func (n *nemesisCluster) Resume(ctx context.Context, name string) error {
	return n.do(name, func(node *cluster.Node) error { return n.c.ResumeNode(ctx, node) })
}

func (n *nemesisCluster) Cut(ctx context.Context, a, b []string) error {
	an, err := n.nodes(a)
	if err != nil {
		return err
	}
	bn, err := n.nodes(b)
	if err != nil {
		return err
	}
	return n.c.Cut(ctx, an, bn)
}

func (n *nemesisCluster) Loss(ctx context.Context, p float64, names ...string) error {
	nodes, err := n.nodes(names)
	if err != nil {
		return err
	}
	return n.c.Loss(ctx, p, nodes...)
}

func (n *nemesisCluster) Delay(ctx context.Context, delay, jitter time.Duration, names ...string) error {
	nodes, err := n.nodes(names)
	if err != nil {
		return err
	}
	return n.c.Delay(ctx, delay, jitter, nodes...)
}

func (n *nemesisCluster) NetemAvailable(ctx context.Context) error { return n.c.NetemAvailable(ctx) }
func (n *nemesisCluster) Heal(ctx context.Context) error           { return n.c.Heal(ctx) }

func (n *nemesisCluster) do(name string, f func(*cluster.Node) error) error {
	node, err := n.node(name)
	if err != nil {
		return err
	}
	return f(node)
}

func (n *nemesisCluster) LosesPower(name string) error {
	return n.do(name, func(node *cluster.Node) error { return n.c.LosesPower(node) })
}

func (n *nemesisCluster) LoseUnfsynced(ctx context.Context, name string) ([]nemesis.DataLoss, error) {
	var out []nemesis.DataLoss
	err := n.do(name, func(node *cluster.Node) error {
		lost, err := n.c.LoseUnfsynced(ctx, node)
		for _, l := range lost {
			out = append(out, nemesis.DataLoss{Node: name, Dir: l.Dir, Bytes: l.Bytes, Files: l.Files, Entries: l.Entries})
		}
		return err
	})
	return out, err
}
