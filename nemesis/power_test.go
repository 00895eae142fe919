package nemesis

import (
	"context"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

// powerConfig restarts quickly: the fake has no sessions to wait out.
var powerConfig = Config{BrokerSessionTimeout: time.Millisecond, ReplicaLagTime: time.Millisecond}

// powerFaultNamed is the fault, with power-loss-last-replica's waits cut short for the fake.
func powerFaultNamed(t *testing.T, name string) Fault {
	f := groupFault(t, powerConfig, name)
	if lr, ok := f.(powerLossLastReplicaFault); ok {
		lr.accept, lr.slack = time.Millisecond, 20*time.Millisecond
		return lr
	}
	return f
}

func powerInjectRecover(t *testing.T, c *fakeCluster, name string, seed int64) Injection {
	t.Helper()
	f := powerFaultNamed(t, name)
	ctx := context.Background()
	if err := f.Available(ctx, c); err != nil {
		t.Fatalf("%s unavailable: %v", name, err)
	}
	inj, err := f.Inject(ctx, c, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatalf("%s: %v (calls %v)", name, err, c.Calls())
	}
	if err := inj.Recover(ctx); err != nil {
		t.Fatalf("recover %s: %v", name, err)
	}
	if err := c.Healthy(); err != nil {
		t.Errorf("after %s recovered: %v", name, err)
	}
	return inj
}

func lostBytes(inj Injection) map[string]int64 {
	m := map[string]int64{}
	for _, l := range inj.Lost {
		m[l.Node] += l.Bytes
	}
	return m
}

func TestPowerLossLeaderKillsLosesAndRestarts(t *testing.T) {
	c := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
	inj := powerInjectRecover(t, c, "power-loss-leader", 1)
	leader := inj.Nodes[0]
	want := []string{"kill " + leader, "lose-unfsynced " + leader, "start " + leader}
	if got := c.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if inj.Action != actionPowerLoss || inj.Partition == "" {
		t.Errorf("injection = %+v, want action %s and the partition", inj, actionPowerLoss)
	}
	if got := lostBytes(inj); len(got) != 1 || got[leader] != c.withLazyfsBytes(leader) {
		t.Errorf("lost = %v, want only %s's pending bytes", got, leader)
	}
}

// withLazyfsBytes is what withLazyfs("kafka1", "kafka2", "kafka3") gave node.
func (f *fakeCluster) withLazyfsBytes(node string) int64 {
	return int64(1000 * (slices.Index(f.brokers, node) + 1))
}

func TestPowerFaultsNeedLazyfs(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(3, 3).withLazyfs("kafka1", "kafka3") // kafka2 is not on lazyfs
	for _, name := range []string{"power-loss-leader", "power-loss-all", "power-loss-last-replica", "power-loss-controller", "power-loss-zk-leader"} {
		err := groupFault(t, powerConfig, name).Available(ctx, c)
		want := "kafka2"
		if name == "power-loss-zk-leader" {
			want = "zk1"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s available = %v, want an error naming %s", name, err, want)
		}
	}
	// A fault that gets past Available (the cluster changed) still refuses before killing.
	f := groupFault(t, powerConfig, "power-loss-all")
	if _, err := f.Inject(ctx, c, rand.New(rand.NewSource(1))); err == nil {
		t.Error("power-loss-all injected with kafka2 off lazyfs")
	}
	if calls := c.Calls(); len(calls) > 0 {
		t.Errorf("calls %v before refusing", calls)
	}
}

func TestPowerLossAllCutsEveryBrokerBeforeAnyLoses(t *testing.T) {
	c := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
	inj := powerInjectRecover(t, c, "power-loss-all", 1)
	calls := c.Calls()
	want := []string{"kill kafka1", "kill kafka2", "kill kafka3", "lose-unfsynced kafka1", "lose-unfsynced kafka2", "lose-unfsynced kafka3"}
	if !slices.Equal(calls[:6], want) {
		t.Errorf("calls = %v, want first %v", calls, want)
	}
	starts := slices.Sorted(slices.Values(calls[6:]))
	if !slices.Equal(starts, []string{"start kafka1", "start kafka2", "start kafka3"}) {
		t.Errorf("recovery calls = %v, want every broker started", calls[6:])
	}
	if got := lostBytes(inj); got["kafka1"] != 1000 || got["kafka2"] != 2000 || got["kafka3"] != 3000 {
		t.Errorf("lost = %v", got)
	}
}

func TestPowerLossControllerTargetsTheActiveController(t *testing.T) {
	zk := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
	if inj := powerInjectRecover(t, zk, "power-loss-controller", 1); !slices.Equal(inj.Nodes, []string{"kafka3"}) {
		t.Errorf("ZooKeeper mode: cut %v, want the controller kafka3", inj.Nodes)
	}
	kraft := newKRaftFake(3, 3, false).withLazyfs("ctl1", "ctl2", "ctl3")
	if inj := powerInjectRecover(t, kraft, "power-loss-controller", 1); !slices.Equal(inj.Nodes, []string{"ctl3"}) {
		t.Errorf("KRaft: cut %v, want the controller ctl3", inj.Nodes)
	}
}

func TestPowerLossZooKeeperLeader(t *testing.T) {
	c := newFakeCluster(3, 3).withLazyfs("zk1", "zk2", "zk3")
	inj := powerInjectRecover(t, c, "power-loss-zk-leader", 1)
	if !slices.Equal(inj.Nodes, []string{"zk3"}) || lostBytes(inj)["zk3"] != 3000 {
		t.Errorf("injection %+v, want zk3 and its 3000 bytes", inj)
	}
	if err := groupFault(t, powerConfig, "power-loss-zk-leader").Available(context.Background(), newKRaftFake(3, 3, false)); err == nil {
		t.Error("power-loss-zk-leader available in KRaft mode")
	}
}

func TestPowerLossLastReplicaStrandsFollowersThenCutsTheLeader(t *testing.T) {
	// ZooKeeper mode: kafka3 is the controller and leads partition 2, the only partition
	// whose followers exclude it, whatever partition the seed starts at.
	for seed := range int64(4) {
		c := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
		inj := powerInjectRecover(t, c, "power-loss-last-replica", seed)
		if inj.Partition != "kafkaesque-2" || !slices.Equal(inj.Nodes, []string{"kafka3"}) || !slices.Equal(inj.From, []string{"kafka1", "kafka2"}) {
			t.Errorf("seed %d: injection %+v, want kafka3 cut after kafka1,kafka2 were stranded on kafkaesque-2", seed, inj)
		}
		want := []string{"cut kafka1,kafka2 | kafka3", "kill kafka3", "lose-unfsynced kafka3", "heal", "heal", "start kafka3"}
		if got := c.Calls(); !slices.Equal(got, want) {
			t.Errorf("seed %d: calls = %v, want %v", seed, got, want)
		}
	}
}

func TestPowerLossLastReplicaNeedsAPartitionTheControllerDoesNotFollow(t *testing.T) {
	c := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
	for p := range c.leaders {
		c.leaders[p] = "kafka1" // the controller kafka3 follows every partition
	}
	f := powerFaultNamed(t, "power-loss-last-replica")
	_, err := f.Inject(context.Background(), c, rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "controller kafka3") {
		t.Errorf("err = %v, want one naming the controller", err)
	}
	if calls := c.Calls(); len(calls) > 0 {
		t.Errorf("calls %v, want none", calls)
	}
}

func TestPowerLossLastReplicaFailsWhenTheISRNeverShrinks(t *testing.T) {
	c := newFakeCluster(3, 1).withLazyfs("kafka1", "kafka2", "kafka3")
	c.neverShrinks = true
	f := powerFaultNamed(t, "power-loss-last-replica")
	inj, err := f.Inject(context.Background(), c, rand.New(rand.NewSource(1)))
	if err == nil || !strings.Contains(err.Error(), "never shrank") {
		t.Fatalf("err = %v, want the ISR that never shrank", err)
	}
	if slices.ContainsFunc(c.Calls(), func(s string) bool { return strings.HasPrefix(s, "kill") }) {
		t.Errorf("calls %v: the leader was cut although its ISR never shrank", c.Calls())
	}
	if err := inj.Recover(context.Background()); err != nil || c.Healthy() != nil {
		t.Errorf("recovery: %v, health %v", err, c.Healthy())
	}
}

func TestPowerNeeds(t *testing.T) {
	for _, tc := range []struct {
		faults      []string
		kafka, zook bool
	}{
		{[]string{"kill-leader", "isolate-leader"}, false, false},
		{[]string{"kill-leader", "power-loss-all"}, true, false},
		{[]string{"power-loss-last-replica"}, true, false},
		{[]string{"power-loss-controller"}, true, false},
		{[]string{"power-loss-zk-leader"}, false, true},
		{[]string{"power-loss-leader", "power-loss-zk-leader"}, true, true},
	} {
		faults, err := Lookup(tc.faults)
		if err != nil {
			t.Fatal(err)
		}
		if k, z := PowerNeeds(faults); k != tc.kafka || z != tc.zook {
			t.Errorf("PowerNeeds(%v) = %v, %v, want %v, %v", tc.faults, k, z, tc.kafka, tc.zook)
		}
	}
}
