package nemesis_test

import (
	"context"
	"math/rand"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nemesisadapter"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// TestQuorumFaultsAgainstDocker runs fence-broker and isolate-controller-from-quorum against a
// real ZooKeeper-mode cluster (6 s broker sessions) and checks their effect from outside the
// faults: the broker's registration lapses only with its session, the other brokers stay
// registered, the client still reaches the fenced broker, and the cut-off controller loses
// /controller to another broker; each recovery brings the broker back.
func TestQuorumFaultsAgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a minute")
	}
	c := cluster.StartTestCluster(t, cluster.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tc := nemesisadapter.New(c)
	faults, err := nemesis.Lookup([]string{"fence-broker", "isolate-controller-from-quorum"})
	if err != nil {
		t.Fatal(err)
	}
	if err := nemesis.CheckAvailable(ctx, tc, faults); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	registered := func(t *testing.T, node string) bool {
		t.Helper()
		ok, err := tc.Registered(ctx, node)
		if err != nil {
			t.Fatalf("Registered(%s): %v", node, err)
		}
		return ok
	}

	t.Run("fence-broker", func(t *testing.T) {
		start := time.Now()
		inj := injectOrFail(ctx, t, faults[0], tc, rng)
		took := time.Since(start)
		broker := inj.Nodes[0]
		t.Logf("%s fenced in %s", inj, took.Round(time.Millisecond))
		if !slices.Equal(inj.From, tc.Quorum()) || !slices.Contains(tc.Brokers(), broker) {
			t.Errorf("cut %v from %v, want a broker from the quorum %v", inj.Nodes, inj.From, tc.Quorum())
		}
		// The znode goes when the 6 s session expires, not at the cut.
		if took < 4*time.Second {
			t.Errorf("%s unregistered %s after the fault began: too soon for its session to have expired", broker, took)
		}
		if registered(t, broker) {
			t.Errorf("%s registered after fence-broker returned", broker)
		}
		for _, b := range tc.Brokers() {
			if b != broker && !registered(t, b) {
				t.Errorf("%s, not cut off, lost its registration", b)
			}
		}
		conn, err := net.DialTimeout("tcp", c.Node(broker).Addr(), 3*time.Second)
		if err != nil {
			t.Errorf("the client cannot reach the fenced %s: %v", broker, err)
		} else {
			conn.Close()
		}
		if err := inj.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		if !registered(t, broker) {
			t.Errorf("%s not registered after recovery", broker)
		}
	})

	t.Run("isolate-controller-from-quorum", func(t *testing.T) {
		controller, err := tc.Controller(ctx)
		if err != nil {
			t.Fatal(err)
		}
		inj := injectOrFail(ctx, t, faults[1], tc, rng)
		if !slices.Equal(inj.Nodes, []string{controller}) || !slices.Equal(inj.From, tc.ZooKeepers()) {
			t.Fatalf("cut %v from %v, want the controller %s from every ZooKeeper node %v", inj.Nodes, inj.From, controller, tc.ZooKeepers())
		}
		// Its ZooKeeper session lapses: it is unregistered and another broker takes /controller.
		deadline := time.Now().Add(30 * time.Second)
		for {
			now, err := tc.Controller(ctx)
			if err == nil && now != controller && !registered(t, controller) {
				t.Logf("controller %s cut off from %v; %s took over", controller, inj.From, now)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("30 s after cutting %s off from ZooKeeper the controller is %q (%v), %s registered %t",
					controller, now, err, controller, registered(t, controller))
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err := inj.Recover(ctx); err != nil {
			t.Fatalf("recover: %v", err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
		defer wcancel()
		if err := c.WaitBrokersRegistered(wctx); err != nil {
			t.Errorf("after recovery: %v", err)
		}
	})
}

// injectOrFail injects f; if the test then fails, the fault is recovered at its end anyway (a
// second Recover after the test's own heals nothing more).
func injectOrFail(ctx context.Context, t *testing.T, f nemesis.Fault, c nemesis.Cluster, rng *rand.Rand) nemesis.Injection {
	t.Helper()
	inj, err := f.Inject(ctx, c, rng)
	if inj.Recoverable() {
		t.Cleanup(func() {
			if t.Failed() {
				if err := inj.Recover(ctx); err != nil {
					t.Errorf("recover %s: %v", inj, err)
				}
			}
		})
	}
	if err != nil {
		t.Fatalf("inject %s: %v (%+v)", f.Name(), err, inj)
	}
	return inj
}
