package cluster

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/cluster/observe"
)

// Endpoint is the node as the state readers address it: at its service port.
func (n *Node) Endpoint() kafkastate.Endpoint {
	return kafkastate.Endpoint{Name: n.Name, ID: n.ID, Addr: n.Addr()}
}

func endpoints(nodes []*Node) []kafkastate.Endpoint {
	out := make([]kafkastate.Endpoint, len(nodes))
	for i, n := range nodes {
		out[i] = n.Endpoint()
	}
	return out
}

// voterEndpoints are the KRaft controller voters at their controller listener (a combined
// node's Addr is its broker listener).
func (c *Cluster) voterEndpoints() []kafkastate.Endpoint {
	out := endpoints(c.Voters())
	for i, v := range c.Voters() {
		out[i].Addr = netip.AddrPortFrom(v.IP, ControllerPort).String()
	}
	return out
}

// observeTarget is the cluster as the election observer reads it.
func (c *Cluster) observeTarget() observe.Target {
	t := observe.Target{
		KRaft: c.Config.Mode == ModeKRaft, ZooKeeper: c.ZooKeeperServers(),
		Voters: c.voterEndpoints(), Brokers: endpoints(c.Brokers), Partitions: map[string]int{},
	}
	for _, topic := range c.Config.Topics {
		t.Partitions[topic.Name] = topic.Partitions
	}
	t.FetchTimeout = QuorumFetchTimeout(c.Config)
	return t
}

// Observe starts recording the cluster's elections into w (see observe.Start).
func (c *Cluster) Observe(ctx context.Context, start time.Time, w io.Writer, topics ...string) (*observe.Observer, error) {
	return observe.Start(ctx, c.observeTarget(), start, w, topics...)
}
