package nemesis

import (
	"context"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

// quorumFault looks a fault up with a short fence timeout, so failed proofs fail fast.
func quorumFault(t *testing.T, name string) Fault {
	t.Helper()
	faults, err := Config{BrokerSessionTimeout: time.Millisecond, FenceTimeout: 300 * time.Millisecond}.Lookup([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	return faults[0]
}

// injectRecover injects f into c with seed, checks it took effect and that Recover heals it.
func injectRecover(t *testing.T, f Fault, c *fakeCluster, seed int64) Injection {
	t.Helper()
	ctx := context.Background()
	if err := f.Available(ctx, c); err != nil {
		t.Fatalf("%s unavailable: %v", f.Name(), err)
	}
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatalf("%s: %v", f.Name(), err)
	}
	if c.Healthy() == nil || !inj.Recoverable() {
		t.Fatalf("%s: %+v had no effect or nothing to recover", f.Name(), inj)
	}
	if err := inj.Recover(ctx); err != nil {
		t.Fatalf("%s: recover: %v", f.Name(), err)
	}
	if err := c.Healthy(); err != nil {
		t.Errorf("%s: after recovery: %v", f.Name(), err)
	}
	return inj
}

func TestPartitionQuorumSplitsTheQuorumOnly(t *testing.T) {
	for _, tc := range []struct {
		name                string
		c                   func() *fakeCluster
		minority, majority  int
		quorum, nonQuorumOf []string
	}{
		{"zookeeper", func() *fakeCluster { return newFakeCluster(3, 3) }, 1, 2, []string{"zk1", "zk2", "zk3"}, nil},
		{"kraft isolated", func() *fakeCluster { return newKRaftFake(3, 5, false) }, 2, 3, []string{"ctl1", "ctl2", "ctl3", "ctl4", "ctl5"}, nil},
		{"kraft combined", func() *fakeCluster { return newKRaftFake(5, 3, true) }, 1, 2, []string{"kafka1", "kafka2", "kafka3"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			minorities := map[string]bool{}
			for seed := range int64(12) {
				c := tc.c()
				inj := injectRecover(t, quorumFault(t, "partition-quorum"), c, seed)
				if len(inj.Nodes) != tc.minority || len(inj.From) != tc.majority {
					t.Fatalf("split %v | %v, want %d | %d", inj.Nodes, inj.From, tc.minority, tc.majority)
				}
				if got := sorted(slices.Concat(inj.Nodes, inj.From)); !slices.Equal(got, tc.quorum) {
					t.Fatalf("split %v | %v, want exactly the quorum %v (no other broker, no client)", inj.Nodes, inj.From, tc.quorum)
				}
				wantCalls(t, c.Calls(), "cut "+strings.Join(inj.Nodes, ",")+" | "+strings.Join(inj.From, ","), "heal")
				minorities[strings.Join(inj.Nodes, ",")] = true
			}
			if len(minorities) < 2 {
				t.Errorf("12 seeds gave the minorities %v: the split is not random", minorities)
			}
		})
	}
	ctx := context.Background()
	for _, c := range []*fakeCluster{newFakeCluster(3, 1), newKRaftFake(3, 2, false), newKRaftFake(3, 1, true)} {
		if err := quorumFault(t, "partition-quorum").Available(ctx, c); err == nil || !strings.Contains(err.Error(), "at least 3") {
			t.Errorf("partition-quorum on a quorum %v: %v, want it refused", c.quorum, err)
		}
	}
}

func TestIsolateControllerFromQuorum(t *testing.T) {
	zk := newFakeCluster(3, 3)
	zk.controller = "kafka2"
	isolated := newKRaftFake(3, 3, false)
	isolated.controller = "ctl2"
	combined := newKRaftFake(5, 3, true)
	combined.controller = "kafka2"
	zkOne := newFakeCluster(3, 1)
	for _, tc := range []struct {
		name string
		c    *fakeCluster
		from []string
	}{
		{"zookeeper: the controller broker from every ZooKeeper node", zk, []string{"zk1", "zk2", "zk3"}},
		{"zookeeper: a single ZooKeeper node is still a quorum to cut from", zkOne, []string{"zk1"}},
		{"kraft isolated: the leader from the other voters, not itself", isolated, []string{"ctl1", "ctl3"}},
		{"kraft combined: the leader from the other voters, not from kafka4 and kafka5", combined, []string{"kafka1", "kafka3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			controller := tc.c.controller
			inj := injectRecover(t, quorumFault(t, "isolate-controller-from-quorum"), tc.c, 1)
			if !slices.Equal(inj.Nodes, []string{controller}) || !slices.Equal(inj.From, tc.from) {
				t.Errorf("cut %v from %v, want %s from %v", inj.Nodes, inj.From, controller, tc.from)
			}
			wantCalls(t, tc.c.Calls(), "cut "+controller+" | "+strings.Join(tc.from, ","), "heal")
		})
	}
	// A single KRaft controller is the whole quorum: refused on the running cluster and
	// before start.
	ctx := context.Background()
	f := quorumFault(t, "isolate-controller-from-quorum")
	if err := f.Available(ctx, newKRaftFake(3, 1, false)); err == nil || !strings.Contains(err.Error(), "whole quorum") {
		t.Errorf("on a single controller: %v, want it refused", err)
	}
	if err := CheckTopology(ctx, []Fault{f}, Topology{Brokers: 3, Controllers: 1}); err == nil || !strings.Contains(err.Error(), "ctl1 is the whole quorum") {
		t.Errorf("CheckTopology on a single controller: %v, want it refused", err)
	}
	if err := CheckTopology(ctx, []Fault{f}, Topology{Brokers: 3, ZooKeepers: 1}); err != nil {
		t.Errorf("CheckTopology on one ZooKeeper node: %v, want it allowed (the controller is a broker)", err)
	}
	// Inject refuses too when the controller turns out to be the whole quorum.
	one := newKRaftFake(3, 1, true)
	if inj, err := f.Inject(ctx, one, rand.New(rand.NewSource(1))); err == nil || inj.Recoverable() || len(one.Calls()) != 0 {
		t.Errorf("Inject on a combined single controller: %+v, %v, want an error and no cut", inj, err)
	}
}

func TestFenceBrokerCutsAndProvesTheFence(t *testing.T) {
	for _, tc := range []struct {
		name       string
		c          func() *fakeCluster
		candidates []string
	}{
		{"zookeeper", func() *fakeCluster { return newFakeCluster(3, 3) }, []string{"kafka1", "kafka2", "kafka3"}},
		{"kraft isolated", func() *fakeCluster { return newKRaftFake(3, 3, false) }, []string{"kafka1", "kafka2", "kafka3"}},
		{"kraft combined, two brokers outside the quorum", func() *fakeCluster { return newKRaftFake(5, 3, true) }, []string{"kafka4", "kafka5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			picked := map[string]bool{}
			for seed := range int64(10) {
				c := tc.c()
				f := quorumFault(t, "fence-broker")
				inj, err := f.Inject(context.Background(), c, rand.New(rand.NewSource(seed)))
				if err != nil {
					t.Fatal(err)
				}
				if len(inj.Nodes) != 1 || !slices.Contains(tc.candidates, inj.Nodes[0]) || !slices.Equal(inj.From, c.quorum) {
					t.Fatalf("cut %v from %v, want one of %v from the quorum %v", inj.Nodes, inj.From, tc.candidates, c.quorum)
				}
				broker := inj.Nodes[0]
				picked[broker] = true
				if ok, _ := c.Registered(context.Background(), broker); ok {
					t.Fatalf("%s still registered after fence-broker returned", broker)
				}
				if err := inj.Recover(context.Background()); err != nil {
					t.Fatal(err)
				}
				if ok, _ := c.Registered(context.Background(), broker); !ok || c.Healthy() != nil {
					t.Fatalf("after recovery %s registered %t, cluster %v", broker, ok, c.Healthy())
				}
				wantCalls(t, c.Calls(), "cut "+broker+" | "+strings.Join(c.quorum, ","), "heal")
			}
			if len(picked) < 2 {
				t.Errorf("10 seeds picked only %v", picked)
			}
		})
	}
}

func TestFenceBrokerFailsWithoutProof(t *testing.T) {
	ctx := context.Background()
	f := quorumFault(t, "fence-broker")

	// A cut that leaves the broker registered (a no-op fault) fails, and is healed.
	c := newFakeCluster(3, 3)
	c.neverFenced = true
	start := time.Now()
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "still listed") {
		t.Fatalf("fence-broker with a broker that stays registered: %v, want a failed proof", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %s, before the 300ms fence timeout", waited)
	}
	if !inj.Recoverable() || len(inj.Nodes) != 1 {
		t.Fatalf("failed injection %+v: want the broker named and the cut recoverable", inj)
	}
	if err := inj.Recover(ctx); err != nil || c.Healthy() != nil {
		t.Errorf("recovering the failed injection: %v, cluster %v", err, c.Healthy())
	}

	// A broker not registered before the cut proves nothing by being unregistered after it.
	c = newFakeCluster(3, 3)
	c.state["kafka1"], c.state["kafka2"], c.state["kafka3"] = paused, paused, paused
	inj, err = f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "before the cut") || inj.Recoverable() || len(c.Calls()) != 0 {
		t.Errorf("fence-broker on an unregistered broker: %+v, %v, calls %v: want an error, no cut", inj, err, c.Calls())
	}

	// A broker that never registers again after the heal fails the recovery.
	c = newFakeCluster(3, 3)
	inj, err = f.Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	c.state[inj.Nodes[0]] = killed
	if err := inj.Recover(ctx); err == nil || !strings.Contains(err.Error(), "did not register again") {
		t.Errorf("recovery with a broker that stays away: %v, want an error", err)
	}

	// The wait ends with its context.
	c = newFakeCluster(3, 3)
	c.neverFenced = true
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	slow, _ := Config{FenceTimeout: time.Hour}.Lookup([]string{"fence-broker"})
	if _, err := slow[0].Inject(cctx, c, rand.New(rand.NewSource(1))); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("fence-broker with an ending context: %v, want the deadline", err)
	}
}

func TestFenceBrokerNeedsABrokerOutsideTheQuorum(t *testing.T) {
	ctx := context.Background()
	f := quorumFault(t, "fence-broker")
	if err := f.Available(ctx, newKRaftFake(3, 3, true)); err == nil || !strings.Contains(err.Error(), "every broker is a quorum member") {
		t.Errorf("fence-broker with every broker a voter: %v, want it refused", err)
	}
	if err := CheckTopology(ctx, []Fault{f}, Topology{Brokers: 3, Controllers: 3, Combined: true}); err == nil || !strings.Contains(err.Error(), "fence-broker cannot run on 3 brokers, 3 of them also controllers") {
		t.Errorf("CheckTopology combined 3 of 3: %v, want fence-broker refused", err)
	}
	if err := CheckTopology(ctx, []Fault{f}, Topology{Brokers: 4, Controllers: 3, Combined: true}); err != nil {
		t.Errorf("CheckTopology combined 3 of 4: %v, want fence-broker allowed", err)
	}
}
