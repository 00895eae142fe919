package workloads_test

import (
	"context"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// runKillingLeader runs q for runFor, killing the leader of partition 0 after killAfter and
// restarting it down later. Every op is bounded by opTimeout, so Run must be back shortly
// after runFor. It returns the stats from just before the kill.
func runKillingLeader(t *testing.T, ctx context.Context, c *cluster.Cluster, q *workloads.Queue, runFor, killAfter, down, opTimeout time.Duration) workloads.Stats {
	t.Helper()
	runEnd := time.Now().Add(runFor)
	runCtx, stopRun := context.WithDeadline(ctx, runEnd)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- q.Run(runCtx) }()

	time.Sleep(killAfter)
	parts, err := c.Metadata(ctx, c.Brokers[0], cluster.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	leader := c.Broker(parts[0].Leader.ID)
	if leader == nil {
		t.Fatalf("partition 0 has no leader: %+v", parts[0])
	}
	before := q.Stats()
	if err := c.KillNode(ctx, leader); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s, leader of %s-0", leader.Name, cluster.DefaultTopic)
	time.Sleep(down)
	if err := c.StartNode(ctx, leader); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Until(runEnd) + 2*opTimeout):
		t.Fatal("run did not return: a client hangs")
	}
	return before
}
