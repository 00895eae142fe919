package nemesis

import (
	"context"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestControllerFaultsWhenTheControllerIsNoBroker: in KRaft isolated mode the active
// controller is a controller node; the controller faults target it and nothing assumes it is a
// broker.
func TestControllerFaultsWhenTheControllerIsNoBroker(t *testing.T) {
	ctx := context.Background()
	c := newKRaftFake(3, 3, false)
	c.controller = "ctl2"
	inj := injectRecover(t, lookup(t, "isolate-controller"), c, 1)
	want := []string{"ctl1", "ctl3", "kafka1", "kafka2", "kafka3"}
	if !slices.Equal(inj.Nodes, []string{"ctl2"}) || !slices.Equal(inj.From, want) {
		t.Errorf("isolate-controller cut %v from %v, want ctl2 from everyone else %v", inj.Nodes, inj.From, want)
	}

	c = newKRaftFake(3, 3, false)
	c.controller = "ctl2"
	inj = injectRecover(t, lookup(t, "pause-controller"), c, 1)
	wantCalls(t, c.Calls(), "pause ctl2", "resume ctl2")

	// A controller node holds no broker session: its restart does not wait for one.
	faults, err := Config{BrokerSessionTimeout: time.Hour}.Lookup([]string{"kill-controller"})
	if err != nil {
		t.Fatal(err)
	}
	c = newKRaftFake(3, 3, false)
	c.controller = "ctl2"
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	inj, err = faults[0].Inject(rctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := inj.Recover(rctx); err != nil {
		t.Fatalf("restarting the killed controller node ctl2: %v", err)
	}
	wantCalls(t, c.Calls(), "kill ctl2", "start ctl2")

	// A combined-mode controller is a broker: its restart waits out its session.
	faults, _ = Config{BrokerSessionTimeout: 200 * time.Millisecond}.Lookup([]string{"kill-controller"})
	c = newKRaftFake(3, 3, true)
	inj, err = faults[0].Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := inj.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("combined controller %v restarted after %s, before its 200ms session expired", inj.Nodes, waited)
	}
}

// TestBrokerFaultsInKRaft: faults that cut a broker off from "everyone" cut it from the KRaft
// controllers (there is no ZooKeeper), and partition-majority splits every node once.
func TestBrokerFaultsInKRaft(t *testing.T) {
	isolated := func() *fakeCluster { return newKRaftFake(3, 3, false) }
	for _, name := range []string{"isolate-leader", "isolate-broker"} {
		c := isolated()
		inj := injectRecover(t, lookup(t, name), c, 1)
		want := sorted(slices.Concat(without(c.brokers, inj.Nodes[0]), c.quorum))
		if !slices.Equal(inj.From, want) {
			t.Errorf("%s cut %v from %v, want from %v", name, inj.Nodes, inj.From, want)
		}
	}
	for _, tc := range []struct {
		name               string
		c                  *fakeCluster
		minority, majority int
	}{
		{"isolated", isolated(), 2, 4},
		{"combined", newKRaftFake(3, 3, true), 1, 2},
		{"combined with a broker outside the quorum", newKRaftFake(4, 3, true), 1, 3},
	} {
		inj := injectRecover(t, lookup(t, "partition-majority"), tc.c, 3)
		all := sorted(slices.Concat(inj.Nodes, inj.From))
		if want := sorted(allNodes(tc.c)); !slices.Equal(all, want) || len(inj.Nodes) != tc.minority || len(inj.From) != tc.majority {
			t.Errorf("%s: partition-majority split %v | %v, want %d | %d of %v, each once", tc.name, inj.Nodes, inj.From, tc.minority, tc.majority, want)
		}
	}
	cfg := testConfig
	cfg.Group = "g"
	c := isolated()
	c.coordinators = map[string]string{"g": "kafka2"}
	inj := injectRecover(t, groupFault(t, cfg, "isolate-coordinator"), c, 1)
	if want := []string{"ctl1", "ctl2", "ctl3", "kafka1", "kafka3"}; !slices.Equal(inj.From, want) {
		t.Errorf("isolate-coordinator cut %v from %v, want from %v", inj.Nodes, inj.From, want)
	}
	// ZooKeeper faults say they cannot run (the nodes are on lazyfs, so power faults can).
	kraft := isolated()
	kraft = kraft.withLazyfs(allNodes(kraft)...)
	err := CheckAvailable(context.Background(), kraft, All())
	for _, name := range []string{"kill-zk-leader", "isolate-zk", "power-loss-zk-leader"} {
		if err == nil || !strings.Contains(err.Error(), "fault "+name+" unavailable") {
			t.Errorf("CheckAvailable on KRaft = %v, want %s unavailable", err, name)
		}
	}
	if n := strings.Count(err.Error(), "unavailable"); n != 3 {
		t.Errorf("CheckAvailable on KRaft refused %d faults, want only the 3 ZooKeeper ones: %v", n, err)
	}
}

func TestCheckTopologyShapes(t *testing.T) {
	ctx := context.Background()
	all := All()
	zkOnly := []string{"kill-zk-leader", "isolate-zk", "power-loss-zk-leader"}
	for _, tc := range []struct {
		topo    Topology
		refused []string
		says    string
	}{
		{Topology{Brokers: 3, ZooKeepers: 3}, nil, ""},
		{Topology{Brokers: 3, Controllers: 3}, zkOnly, "3 brokers and 3 controllers"},
		{Topology{Brokers: 3, Controllers: 3, Combined: true}, append([]string{"fence-broker"}, zkOnly...), "3 brokers, 3 of them also controllers (combined)"},
		{Topology{Brokers: 3, Controllers: 1}, append([]string{"isolate-controller-from-quorum", "partition-quorum"}, zkOnly...), "3 brokers and 1 controllers"},
		{Topology{Brokers: 3, ZooKeepers: 1}, []string{"kill-zk-leader", "partition-quorum", "power-loss-zk-leader"}, "3 brokers and 1 ZooKeeper nodes"},
	} {
		err := CheckTopology(ctx, all, tc.topo)
		for _, f := range all {
			refused := err != nil && strings.Contains(err.Error(), "fault "+f.Name()+" cannot run on "+tc.says)
			if want := slices.Contains(tc.refused, f.Name()); refused != want {
				t.Errorf("%s: %s refused %t, want %t (%v)", tc.topo, f.Name(), refused, want, err)
			}
		}
	}
	for _, bad := range []Topology{
		{Brokers: 3, ZooKeepers: 3, Controllers: 3},
		{Brokers: 2, Controllers: 3, Combined: true},
		{Brokers: 3, Combined: true},
		{Brokers: -1, ZooKeepers: 1},
	} {
		if err := CheckTopology(ctx, nil, bad); err == nil {
			t.Errorf("CheckTopology(%+v) accepted a shape no cluster has", bad)
		}
	}
	s := newShape(Topology{Brokers: 4, Controllers: 3, Combined: true})
	if !slices.Equal(s.Quorum(), []string{"kafka1", "kafka2", "kafka3"}) || len(s.ZooKeepers()) != 0 {
		t.Errorf("combined shape quorum %v, zookeepers %v", s.Quorum(), s.ZooKeepers())
	}
	s = newShape(Topology{Brokers: 3, Controllers: 3})
	if !slices.Equal(s.Quorum(), []string{"ctl1", "ctl2", "ctl3"}) || slices.Contains(s.Brokers(), "ctl1") {
		t.Errorf("isolated shape quorum %v, brokers %v", s.Quorum(), s.Brokers())
	}
}
