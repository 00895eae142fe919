package nemesis

import (
	"context"
	"errors"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testConfig restarts killed brokers without waiting for a real ZooKeeper session to expire.
var testConfig = Config{BrokerSessionTimeout: time.Millisecond}

var allNames = []string{
	"fence-broker", "isolate-broker", "isolate-controller", "isolate-controller-from-quorum",
	"isolate-leader", "isolate-zk", "kill-controller", "kill-isr", "kill-leader", "kill-random",
	"kill-zk-leader", "netem-delay", "netem-loss", "partition-majority", "partition-quorum",
	"pause-controller", "pause-leader",
	"power-loss-all", "power-loss-controller", "power-loss-last-replica", "power-loss-leader", "power-loss-zk-leader",
}

func TestAllIsSortedAndDescribed(t *testing.T) {
	all := All()
	if got := Names(all); !slices.Equal(got, allNames) {
		t.Fatalf("All() = %v, want %v", got, allNames)
	}
	for _, f := range all {
		if d := f.Describe(); d == "" || strings.Contains(d, "\n") {
			t.Errorf("%s: Describe() = %q, want one non-empty line", f.Name(), d)
		}
	}
}

func TestLookup(t *testing.T) {
	faults, err := Lookup([]string{"kill-leader", "netem-loss", "kill-leader"})
	if err != nil {
		t.Fatal(err)
	}
	if got := Names(faults); !slices.Equal(got, []string{"kill-leader", "netem-loss"}) {
		t.Errorf("Lookup = %v, want the two faults in order, without the duplicate", got)
	}
	_, err = Lookup([]string{"kill-leader", "kill-everything"})
	if err == nil {
		t.Fatal("Lookup of an unknown fault succeeded")
	}
	for _, want := range []string{`"kill-everything"`, "valid:", "isolate-zk", "pause-leader"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func lookup(t *testing.T, name string) Fault {
	t.Helper()
	faults, err := testConfig.Lookup([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	return faults[0]
}

func TestAvailable(t *testing.T) {
	ctx := context.Background()
	one, three := newFakeCluster(3, 1), newFakeCluster(3, 3)
	if err := lookup(t, "kill-zk-leader").Available(ctx, one); err == nil {
		t.Error("kill-zk-leader is available with 1 ZooKeeper node")
	}
	if err := lookup(t, "kill-zk-leader").Available(ctx, three); err != nil {
		t.Errorf("kill-zk-leader unavailable with 3 ZooKeeper nodes: %v", err)
	}
	noNetem := errors.New("tc netem is not available on this kernel")
	one.netemErr = noNetem
	if err := lookup(t, "netem-delay").Available(ctx, one); !errors.Is(err, noNetem) {
		t.Errorf("netem-delay Available = %v, want the NetemAvailable error", err)
	}
	if err := lookup(t, "netem-loss").Available(ctx, one); err != nil {
		t.Errorf("netem-loss needs no netem, got %v", err)
	}
	err := CheckAvailable(ctx, one, All())
	if err == nil || !strings.Contains(err.Error(), "kill-zk-leader") || !strings.Contains(err.Error(), "netem-delay") {
		t.Errorf("CheckAvailable = %v, want it to name kill-zk-leader and netem-delay", err)
	}
	three.withLazyfs(allNodes(three)...)
	if err := CheckAvailable(ctx, three, All()); err != nil {
		t.Errorf("CheckAvailable on a full cluster = %v", err)
	}
}

// TestFaultsInjectAndRecover injects each fault into a fake cluster and checks the targets,
// the calls made, and that Recover leaves the cluster healthy.
func TestFaultsInjectAndRecover(t *testing.T) {
	ctx := context.Background()
	zks := []string{"zk1", "zk2", "zk3"}
	for _, name := range allNames {
		if name == "kill-isr" {
			continue // a multi-step fault: TestKillISRLeavesOnlyTheStaleFollower
		}
		if strings.HasPrefix(name, "power-loss-") {
			continue // they need lazyfs: power_test.go
		}
		t.Run(name, func(t *testing.T) {
			c := newFakeCluster(5, 3)
			c.controller = "kafka4"
			c.zkLeader = "zk2"
			inj, err := lookup(t, name).Inject(ctx, c, rand.New(rand.NewSource(7)))
			if err != nil {
				t.Fatal(err)
			}
			if inj.Fault != name || !inj.Recoverable() || len(inj.Nodes) == 0 {
				t.Fatalf("injection %+v: want fault %s with nodes, recoverable", inj, name)
			}
			node := inj.Nodes[0]
			wantLeader := ""
			if strings.HasSuffix(name, "-leader") && name != "kill-zk-leader" {
				wantLeader = c.leaders[partitionOf(t, inj.Partition)]
			} else if inj.Partition != "" {
				t.Errorf("partition %q recorded for a fault that targets no partition", inj.Partition)
			}
			calls := c.Calls()
			switch name {
			case "kill-controller", "pause-controller", "isolate-controller":
				if node != "kafka4" {
					t.Errorf("target %s, want the controller kafka4", node)
				}
			case "kill-leader", "pause-leader", "isolate-leader":
				if node != wantLeader {
					t.Errorf("target %s, want %s's leader %s", node, inj.Partition, wantLeader)
				}
			case "kill-zk-leader":
				if node != "zk2" {
					t.Errorf("target %s, want the ZooKeeper leader zk2", node)
				}
			}
			switch {
			case strings.HasPrefix(name, "kill-"):
				wantCalls(t, calls, "kill "+node)
				if c.state[node] != killed {
					t.Errorf("%s is %s after the kill", node, c.state[node])
				}
			case strings.HasPrefix(name, "pause-"):
				wantCalls(t, calls, "pause "+node)
			case name == "partition-quorum":
				if len(inj.Nodes) != 1 || len(inj.From) != 2 || !slices.Equal(sorted(slices.Concat(inj.Nodes, inj.From)), zks) {
					t.Errorf("partition-quorum split %v | %v, want 1 | 2 of %v", inj.Nodes, inj.From, zks)
				}
			case name == "isolate-controller-from-quorum", name == "fence-broker":
				if !slices.Equal(inj.From, zks) || len(inj.Nodes) != 1 || !slices.Contains(c.brokers, node) {
					t.Errorf("%s cut %v from %v, want one broker from %v", name, inj.Nodes, inj.From, zks)
				}
				if name == "isolate-controller-from-quorum" && node != "kafka4" {
					t.Errorf("target %s, want the controller kafka4", node)
				}
				wantCalls(t, calls, "cut "+node+" | zk1,zk2,zk3")
			case name == "isolate-zk":
				if !slices.Equal(inj.From, zks) || len(inj.Nodes) != 1 {
					t.Errorf("isolate-zk cut %v from %v, want one broker from %v", inj.Nodes, inj.From, zks)
				}
				wantCalls(t, calls, "cut "+node+" | zk1,zk2,zk3")
			case strings.HasPrefix(name, "isolate-"):
				want := append(without(c.brokers, node), zks...)
				if !slices.Equal(inj.From, want) {
					t.Errorf("%s cut %s from %v, want from %v", name, node, inj.From, want)
				}
				wantCalls(t, calls, "cut "+node+" | "+strings.Join(want, ","))
			case name == "partition-majority":
				all := sorted(slices.Concat(inj.Nodes, inj.From))
				if !slices.Equal(all, sorted(slices.Concat(c.brokers, zks))) || len(inj.Nodes) != 3 || len(inj.From) != 5 {
					t.Errorf("partition-majority split %v | %v, want 3 | 5 of all nodes, no client", inj.Nodes, inj.From)
				}
			case strings.HasPrefix(name, "netem-"):
				if len(inj.Nodes) > 3 || len(without(inj.Nodes, c.brokers...)) > 0 {
					t.Errorf("%s on %v, want 1 to 3 brokers", name, inj.Nodes)
				}
				if inj.Action == "loss" && inj.Loss <= 0 || inj.Action == "delay" && inj.DelayMS <= 0 {
					t.Errorf("%s records no parameters: %+v", name, inj)
				}
			}
			if c.Healthy() == nil {
				t.Errorf("%s had no effect on the fake", name)
			}
			if err := inj.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.Healthy(); err != nil {
				t.Errorf("after recovery: %v", err)
			}
		})
	}
}

func wantCalls(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}

// partitionOf parses the partition number from "kafkaesque-<p>".
func partitionOf(t *testing.T, s string) int {
	t.Helper()
	rest, ok := strings.CutPrefix(s, defaultTopic+"-")
	p, err := strconv.Atoi(rest)
	if !ok || err != nil {
		t.Fatalf("partition %q is not one of %s", s, defaultTopic)
	}
	return p
}

func TestFailedInjectionSaysWhatItTried(t *testing.T) {
	c := newFakeCluster(3, 1)
	delete(c.leaders, 1)
	delete(c.leaders, 0)
	delete(c.leaders, 2)
	inj, err := lookup(t, "kill-leader").Inject(context.Background(), c, rand.New(rand.NewSource(1)))
	if err == nil {
		t.Fatal("kill-leader succeeded with no leaders")
	}
	if inj.Recoverable() || inj.Partition == "" || len(c.Calls()) != 0 {
		t.Errorf("injection %+v, calls %v: want the partition tried, nothing to recover, no calls", inj, c.Calls())
	}
}

// TestKillRecoveryWaitsForSessionExpiry: a broker restarted while its old ZooKeeper session
// lives finds its own /brokers/ids entry and exits, so recovery waits the session out.
func TestKillRecoveryWaitsForSessionExpiry(t *testing.T) {
	ctx := context.Background()
	session := 200 * time.Millisecond
	for _, name := range []string{"kill-random", "kill-zk-leader"} {
		faults, err := Config{BrokerSessionTimeout: session}.Lookup([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		c := newFakeCluster(3, 3)
		inj, err := faults[0].Inject(ctx, c, rand.New(rand.NewSource(1)))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := inj.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		waited := time.Since(start)
		if broker := name == "kill-random"; broker && waited < session || !broker && waited > session/2 {
			t.Errorf("%s: recovery took %s with a %s session timeout", name, waited, session)
		}
		if err := c.Healthy(); err != nil {
			t.Error(err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	faults, _ := Config{BrokerSessionTimeout: time.Hour}.Lookup([]string{"kill-random"})
	c := newFakeCluster(3, 1)
	inj, _ := faults[0].Inject(ctx, c, rand.New(rand.NewSource(1)))
	if err := inj.Recover(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("recovery with an ended context = %v, want it canceled", err)
	}
}

// TestKillISRLeavesOnlyTheStaleFollower: the stranded follower leaves the ISR first, then every
// ISR member dies and the cut heals; recovery brings the ISR back.
func TestKillISRLeavesOnlyTheStaleFollower(t *testing.T) {
	ctx := context.Background()
	faults, err := Config{BrokerSessionTimeout: 50 * time.Millisecond, ReplicaLagTime: time.Millisecond}.Lookup([]string{"kill-isr"})
	if err != nil {
		t.Fatal(err)
	}
	c := newFakeCluster(3, 1)
	inj, err := faults[0].Inject(ctx, c, rand.New(rand.NewSource(3)))
	if err != nil {
		t.Fatal(err)
	}
	if len(inj.From) != 1 || len(inj.Nodes) != 2 || slices.Contains(inj.Nodes, inj.From[0]) {
		t.Fatalf("injection %+v: want one stale follower and the two other brokers killed", inj)
	}
	calls := c.Calls()
	want := []string{"cut " + inj.From[0] + " | " + strings.Join(without(c.Brokers(), inj.From[0]), ","),
		"kill " + inj.Nodes[0], "kill " + inj.Nodes[1], "heal"}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	if isr, _ := c.PartitionISR(ctx, defaultTopic, 0); !slices.Equal(isr, inj.From) {
		t.Errorf("after injection the live ISR is %v, want only the stale follower %v", isr, inj.From)
	}
	if err := inj.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Healthy(); err != nil {
		t.Error(err)
	}
}
