// Package kafkastate reads Kafka's leadership state over the network, with no Docker involved:
// ZooKeeper's znodes (/controller, /controller_epoch, partition state, registered brokers) in
// ZooKeeper mode, the KRaft quorum (DescribeQuorum from each voter) and each broker's own
// metadata (Metadata, DescribeTopicPartitions, ListOffsets) in KRaft mode. Nodes are plain
// endpoints, so it needs nothing from the cluster that started them.
package kafkastate

import "time"

// Endpoint is one node as the readers address it: its name for messages, its Kafka node id (or
// ZooKeeper myid), and the host:port of the listener to ask.
type Endpoint struct {
	Name string
	ID   int
	Addr string
}

func (e Endpoint) String() string { return e.Name }

// RequestTimeout bounds one request to one node: a cut-off node must not stall a poll.
const RequestTimeout = 2 * time.Second
