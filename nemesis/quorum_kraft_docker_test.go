package nemesis_test

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nemesisadapter"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// TestQuorumFaultsAgainstKRaft runs the quorum faults against a real KRaft cluster (Kafka 4.4.0,
// three controllers on nodes of their own) and checks each effect from outside the fault: a
// controller leads the majority side of a split quorum; a controller cut off from the other
// voters loses the leadership to one of them; a broker cut off from the controllers is fenced
// (the other brokers' metadata drops it) and comes back after the heal.
func TestQuorumFaultsAgainstKRaft(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a few minutes")
	}
	c := cluster.StartTestCluster(t, cluster.Config{KafkaVersion: "4.4.0"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tc := nemesisadapter.New(c)
	if q := tc.Quorum(); !slices.Equal(q, []string{"ctl1", "ctl2", "ctl3"}) {
		t.Fatalf("quorum %v, want the three controller nodes", q)
	}
	faults, err := nemesis.Lookup([]string{"partition-quorum", "isolate-controller-from-quorum", "fence-broker", "kill-controller"})
	if err != nil {
		t.Fatal(err)
	}
	if err := nemesis.CheckAvailable(ctx, tc, faults); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	// waitController waits until the active controller satisfies ok.
	waitController := func(t *testing.T, what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			now, err := tc.Controller(ctx)
			if err == nil && ok(now) {
				return now
			}
			if time.Now().After(deadline) {
				t.Fatalf("30 s on, the controller is %q (%v): want %s", now, err, what)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	recoverAndSettle := func(t *testing.T, inj nemesis.Injection) {
		t.Helper()
		if err := inj.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
		defer wcancel()
		if err := c.WaitRecovered(wctx, cluster.DefaultTopic, 3); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		waitController(t, "a controller", func(string) bool { return true })
	}

	t.Run("partition-quorum", func(t *testing.T) {
		inj := injectOrFail(ctx, t, faults[0], tc, rng)
		minority, majority := inj.Nodes, inj.From
		if len(minority) != 1 || len(majority) != 2 {
			t.Fatalf("split %v | %v, want one controller against two", minority, majority)
		}
		now := waitController(t, fmt.Sprintf("one of the majority %v", majority), func(n string) bool { return slices.Contains(majority, n) })
		t.Logf("quorum split %v | %v: %s leads", minority, majority, now)
		recoverAndSettle(t, inj)
	})

	t.Run("isolate-controller-from-quorum", func(t *testing.T) {
		old := waitController(t, "a controller", func(string) bool { return true })
		inj := injectOrFail(ctx, t, faults[1], tc, rng)
		if !slices.Equal(inj.Nodes, []string{old}) || slices.Contains(inj.From, old) || len(inj.From) != 2 {
			t.Fatalf("cut %v from %v, want the controller %s from the two other voters", inj.Nodes, inj.From, old)
		}
		now := waitController(t, "another voter than "+old, func(n string) bool { return n != old })
		t.Logf("controller %s cut off from %v; %s leads", old, inj.From, now)
		recoverAndSettle(t, inj)
	})

	t.Run("fence-broker", func(t *testing.T) {
		inj := injectOrFail(ctx, t, faults[2], tc, rng)
		broker := inj.Nodes[0]
		if !slices.Contains(tc.Brokers(), broker) || !slices.Equal(inj.From, tc.Quorum()) {
			t.Fatalf("cut %v from %v, want a broker from the controllers", inj.Nodes, inj.From)
		}
		if ok, err := tc.Registered(ctx, broker); err != nil || ok {
			t.Errorf("%s registered %t (%v) after fence-broker returned", broker, ok, err)
		}
		recoverAndSettle(t, inj)
		if ok, err := tc.Registered(ctx, broker); err != nil || !ok {
			t.Errorf("%s registered %t (%v) after recovery", broker, ok, err)
		}
	})

	t.Run("kill-controller", func(t *testing.T) {
		old := waitController(t, "a controller", func(string) bool { return true })
		inj := injectOrFail(ctx, t, faults[3], tc, rng)
		if !slices.Equal(inj.Nodes, []string{old}) {
			t.Fatalf("killed %v, want the controller %s", inj.Nodes, old)
		}
		now := waitController(t, "another voter than "+old, func(n string) bool { return n != old })
		t.Logf("controller %s killed; %s leads", old, now)
		recoverAndSettle(t, inj)
	})
}
