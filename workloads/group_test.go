package workloads

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
)

func TestAssignRangeGivesEachPartitionToOneMember(t *testing.T) {
	members := []kafka.JoinGroupResponseMember{{ID: "c"}, {ID: "a"}, {ID: "b"}}
	out := assignRange(members, "t", 5)
	owner := map[int]string{}
	for _, a := range out {
		for _, p := range a.Assignment.AssignedPartitions["t"] {
			if prev, ok := owner[p]; ok {
				t.Errorf("partition %d assigned to %s and %s", p, prev, a.MemberID)
			}
			owner[p] = a.MemberID
		}
	}
	if len(owner) != 5 || len(out) != 3 {
		t.Fatalf("assignments %+v: want 5 partitions over 3 members", out)
	}
	if owner[0] != "a" || owner[1] != "b" || owner[3] != "a" {
		t.Errorf("owners %v: want round robin over sorted member ids", owner)
	}
}

func TestClassifyCommit(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want history.Type
	}{
		{nil, history.OK},
		{fmt.Errorf("commit: %w", kafka.RebalanceInProgress), history.Fail},
		{errors.Join(kafka.UnknownMemberId, kafka.UnknownMemberId), history.Fail},
		// The coordinator maps errors after an append onto these two: the commit may be stored.
		{kafka.NotCoordinatorForGroup, history.Info},
		{fmt.Errorf("commit: %w", kafka.GroupCoordinatorNotAvailable), history.Info},
		{errors.Join(kafka.RebalanceInProgress, kafka.NotCoordinatorForGroup), history.Info},
		{errors.Join(kafka.RebalanceInProgress, kafka.IllegalGeneration), history.Fail},
		{kafka.GroupLoadInProgress, history.Fail},
		{kafka.RequestTimedOut, history.Info},
		{context.DeadlineExceeded, history.Info},
	} {
		if got := classifyCommit(tc.err); got != tc.want {
			t.Errorf("classifyCommit(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestGroupRejectsQueueConsumers(t *testing.T) {
	rec := history.NewRecorder(history.NewWriter(&discard{}), nowForTest())
	cfg := GroupConfig{Members: 2, Queue: QueueConfig{Bootstrap: []string{"x:9092"}, Topic: "t", Partitions: 1, Acks: AcksAll, Consumers: 1}}
	if _, err := NewGroup(cfg, rec, seeded()); err == nil {
		t.Error("a group workload with queue consumers was accepted")
	}
	cfg.Queue.Consumers, cfg.Members = 0, 0
	if _, err := NewGroup(cfg, rec, seeded()); err == nil {
		t.Error("a group workload with no members was accepted")
	}
	cfg.Members = 2
	g, err := NewGroup(cfg, rec, seeded())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.GroupID() != DefaultGroupID {
		t.Errorf("group id %q, want %q", g.GroupID(), DefaultGroupID)
	}
	if _, _, err := g.CrashLeader(canceled()); err == nil {
		t.Error("CrashLeader with no member running succeeded")
	}
	if len(g.members) != 2 {
		t.Errorf("%d members, want 2", len(g.members))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func nowForTest() time.Time { return time.Now() }

func seeded() *rand.Rand { return rand.New(rand.NewSource(1)) }

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
