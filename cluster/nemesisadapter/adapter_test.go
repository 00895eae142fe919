package nemesisadapter_test

import (
	"cmp"
	"context"
	"math"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nemesisadapter"
)

// coordinatorPartition is the partition of the coordinator's topic Kafka maps an ASCII group or
// transactional id to: Utils.abs(key.hashCode) % partitions, where Utils.abs(MIN_VALUE) is 0.
func coordinatorPartition(key string, partitions int) int {
	var h int32 // Java's String.hashCode
	for i := range len(key) {
		h = 31*h + int32(key[i])
	}
	if h == math.MinInt32 {
		return 0
	}
	return int(max(h, -h)) % partitions
}

// FindCoordinator answers for a group no consumer joined and a transactional id no producer
// used (the first look-up creates the coordinator's topic), in ZooKeeper mode and in KRaft, and
// names the leader of the key's partition of that topic.
func TestCoordinatorLookups(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a minute")
	}
	for _, cfg := range []cluster.Config{{}, {KafkaVersion: "4.4.0"}} {
		t.Run("kafka-"+cmp.Or(cfg.KafkaVersion, cluster.DefaultKafkaVersion), func(t *testing.T) {
			testCoordinatorLookups(t, cluster.StartTestCluster(t, cfg))
		})
	}
}

func testCoordinatorLookups(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nc := nemesisadapter.New(c)
	for _, tc := range []struct {
		key, topic string
		find       func(context.Context, string) (string, error)
	}{
		{"kq-group-never-joined", "__consumer_offsets", nc.GroupCoordinator},
		{"kq-txn-never-used", "__transaction_state", nc.TxnCoordinator},
	} {
		start := time.Now()
		node, err := tc.find(ctx, tc.key)
		if err != nil {
			t.Fatalf("coordinator of %s: %v", tc.key, err)
		}
		t.Logf("coordinator of %s: %s, found in %s", tc.key, node, time.Since(start).Round(time.Millisecond))
		states, err := c.PartitionStates(ctx, tc.topic)
		if err != nil || len(states) == 0 {
			t.Fatalf("partitions of %s: %d, %v", tc.topic, len(states), err)
		}
		p := coordinatorPartition(tc.key, len(states))
		leader, err := nc.PartitionLeader(ctx, tc.topic, p)
		if err != nil {
			t.Fatal(err)
		}
		if node != leader {
			t.Errorf("coordinator of %s is %s, but %s-%d is led by %s", tc.key, node, tc.topic, p, leader)
		}
	}
}
