package group

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
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
	cfg := Config{Members: 2, Queue: workloads.QueueConfig{Bootstrap: []string{"x:9092"}, Topic: "t", Partitions: 1, Acks: workloads.AcksAll, Consumers: 1}}
	if _, err := New(cfg, rec, seeded()); err == nil {
		t.Error("a group workload with queue consumers was accepted")
	}
	cfg.Queue.Consumers, cfg.Members = 0, 0
	if _, err := New(cfg, rec, seeded()); err == nil {
		t.Error("a group workload with no members was accepted")
	}
	cfg.Members = 2
	g, err := New(cfg, rec, seeded())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.GroupID() != DefaultID {
		t.Errorf("group id %q, want %q", g.GroupID(), DefaultID)
	}
	if _, _, err := g.CrashLeader(canceled()); err == nil {
		t.Error("CrashLeader with no member running succeeded")
	}
	if len(g.members) != 2 {
		t.Errorf("%d members, want 2", len(g.members))
	}
}

// The group's members are not queue consumers: a crash interval, which crashes queue
// consumers, and franz-go producers, which the group workload does not drive, are refused.
func TestGroupRejectsCrashIntervalAndFranz(t *testing.T) {
	rec := history.NewRecorder(history.NewWriter(&discard{}), nowForTest())
	base := workloads.QueueConfig{Bootstrap: []string{"127.0.0.1:1"}, Topic: "t", Partitions: 1, Acks: workloads.AcksAll}
	cfg := Config{Members: 1, Queue: base}
	cfg.Queue.CrashInterval = time.Second
	if _, err := New(cfg, rec, seeded()); err == nil {
		t.Error("a group workload with a crash interval was accepted; it has no queue consumers to crash")
	}
	cfg.Queue = base
	cfg.Queue.Client = workloads.ClientFranz
	if _, err := New(cfg, rec, seeded()); err == nil || !strings.Contains(err.Error(), `producers are kafka-go's, got client "franz"`) {
		t.Errorf("franz-go producers: error %v, want one refusing client \"franz\"", err)
	}
	cfg.Queue.Client = workloads.ClientKafkaGo
	g, err := New(cfg, rec, seeded())
	if err != nil {
		t.Fatalf("kafka-go named explicitly: %v", err)
	}
	g.Close()
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
