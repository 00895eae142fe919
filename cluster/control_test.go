package cluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/observe"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// One cluster serves the fault tests in turn; each subtest leaves it healthy for the next.
func TestNodeFaults(t *testing.T) {
	c := StartTestCluster(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The whole election log goes to a file, written as it goes; a failure prints only its tail,
	// so the failure's own message stays in sight.
	elogPath := filepath.Join(testLogDir(t), "election.jsonl")
	if err := os.MkdirAll(filepath.Dir(elogPath), 0o755); err != nil {
		t.Fatal(err)
	}
	elogFile, err := os.Create(elogPath)
	if err != nil {
		t.Fatal(err)
	}
	var elog bytes.Buffer
	// Deferred before the observer's Stop, so it runs after it, and sees a failure of Stop's too.
	defer func() {
		elogFile.Close()
		if t.Failed() {
			t.Logf("election log in %s; its last events:\n%s", elogPath, lastLines(elog.String(), 12))
			return
		}
		os.Remove(elogPath)
		os.Remove(filepath.Dir(elogPath)) // only if empty: a failed run's node logs stay
	}()
	obs, err := c.Observe(ctx, time.Now(), io.MultiWriter(elogFile, &elog), DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := obs.Stop(); err != nil {
			t.Error(err)
		}
	}()

	t.Run("kill controller elects another with a higher epoch", func(t *testing.T) {
		before, _ := obs.Current()
		old := c.Broker(before.Controller)
		if old == nil {
			t.Fatalf("no controller observed: %+v", before)
		}
		restoreIfFailed(t, ctx, c, old)
		mark := len(obs.Events())
		if err := c.KillNode(ctx, old); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		e, _, err := obs.WaitFor(wctx, mark, func(e electionlog.Event) bool {
			return e.Kind == electionlog.KindController && e.Source == electionlog.SourceZooKeeper &&
				*e.Controller >= 0 && *e.Controller != old.ID
		})
		if err != nil {
			t.Fatalf("no new controller after killing %s: %v", old.Name, err)
		}
		if *e.ControllerEpoch <= before.Epoch {
			t.Errorf("new controller %d has epoch %d, not above the old %d", *e.Controller, *e.ControllerEpoch, before.Epoch)
		}
		t.Logf("controller %d (epoch %d) killed; broker %d took over with epoch %d after %s",
			old.ID, before.Epoch, *e.Controller, *e.ControllerEpoch, time.Duration(e.Time)-obsTime(obs, mark))
		restart(t, ctx, c, old)
	})

	t.Run("kill leader elects one from the ISR with a higher leader epoch", func(t *testing.T) {
		_, parts := obs.Current()
		p := parts[DefaultTopic+"-0"]
		old := c.Broker(*p.Leader)
		restoreIfFailed(t, ctx, c, old)
		mark := len(obs.Events())
		if err := c.KillNode(ctx, old); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		e, at, err := obs.WaitFor(wctx, mark, func(e electionlog.Event) bool {
			return e.Kind == electionlog.KindPartition && e.Source == electionlog.SourceZooKeeper &&
				e.Key() == p.Key() && *e.Leader >= 0 && *e.Leader != old.ID
		})
		if err != nil {
			t.Fatalf("no new leader for %s after killing %s: %v", p.Key(), old.Name, err)
		}
		// The state the new leader was elected from is the last one the log recorded before it
		// (a snapshot taken before the kill can miss a follower rejoining the ISR).
		prev, ok := lastStateBefore(obs.Events(), at, p.Key())
		if !ok || *prev.Leader != old.ID {
			t.Fatalf("the election log has no state of %s led by %s before event %d", p.Key(), old.Name, at)
		}
		if !slices.Contains(prev.ISR, *e.Leader) {
			t.Errorf("new leader %d is not in the previous ISR %v", *e.Leader, prev.ISR)
		}
		if *e.LeaderEpoch <= *prev.LeaderEpoch {
			t.Errorf("leader epoch went from %d to %d, want higher", *prev.LeaderEpoch, *e.LeaderEpoch)
		}
		t.Logf("%s: leader %d (epoch %d, isr %v) killed; new leader %d epoch %d isr %v",
			p.Key(), old.ID, *prev.LeaderEpoch, prev.ISR, *e.Leader, *e.LeaderEpoch, e.ISR)
		restart(t, ctx, c, old)
	})

	t.Run("a broker restarted within its old session fails fast and says why", func(t *testing.T) {
		victim := c.Brokers[2]
		restoreIfFailed(t, ctx, c, victim)
		if err := c.KillNode(ctx, victim); err != nil {
			t.Fatal(err)
		}
		begun := time.Now()
		err := c.StartNode(ctx, victim)
		if err == nil {
			t.Fatalf("%s restarted although its old ZooKeeper session still holds its broker id", victim)
		}
		if time.Since(begun) > 20*time.Second || !strings.Contains(err.Error(), "exited during start-up") {
			t.Errorf("after %s: %v; want a fast error naming the exit", time.Since(begun).Round(time.Second), err)
		}
		t.Logf("as expected: %.300s", err)
		time.Sleep(8 * time.Second) // the 6 s session expires
		restart(t, ctx, c, victim)
	})

	t.Run("partition a broker from brokers and ZooKeeper, then heal", func(t *testing.T) {
		victim := c.Brokers[1]
		others := append([]*Node{}, c.ZooKeepers...)
		for _, b := range c.Brokers {
			if b != victim {
				others = append(others, b)
			}
		}
		if err := c.Cut(ctx, []*Node{victim}, others); err != nil {
			t.Fatal(err)
		}
		for _, o := range others {
			for _, pr := range [][2]*Node{{victim, o}, {o, victim}} {
				if r, err := c.Probe(ctx, pr[0], pr[1]); err != nil || r != Unreachable {
					t.Errorf("during the cut %s->%s is %v (%v), want unreachable", pr[0], pr[1], r, err)
				}
			}
		}
		if r := ProbeFromClient(ctx, victim); r != Accepting {
			t.Errorf("the client was not cut off, but %s is %v from it", victim, r)
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		for _, o := range others {
			for _, pr := range [][2]*Node{{victim, o}, {o, victim}} {
				if r, err := c.Probe(ctx, pr[0], pr[1]); err != nil || r != Accepting {
					t.Errorf("after heal %s->%s is %v (%v), want accepting", pr[0], pr[1], r, err)
				}
			}
		}
		waitHealthy(t, ctx, c)
	})

	t.Run("isolate from the client", func(t *testing.T) {
		victim := c.Brokers[2]
		if err := c.Cut(ctx, []*Node{victim}, []*Node{c.Client}); err != nil {
			t.Fatal(err)
		}
		if r := ProbeFromClient(ctx, victim); r != Unreachable {
			t.Errorf("client->%s is %v, want unreachable", victim, r)
		}
		if r, _ := c.Probe(ctx, c.Brokers[0], victim); r != Accepting {
			t.Errorf("broker traffic was cut too: %v", r)
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		if r := ProbeFromClient(ctx, victim); r != Accepting {
			t.Errorf("after heal client->%s is %v", victim, r)
		}
	})

	t.Run("pause and resume", func(t *testing.T) {
		victim := c.Brokers[0]
		if err := c.PauseNode(ctx, victim); err != nil {
			t.Fatal(err)
		}
		// A paused JVM keeps its socket, so the kernel still accepts, but Kafka answers nothing.
		if _, err := c.Metadata(ctx, victim, DefaultTopic); err == nil {
			t.Errorf("paused %s still answered a metadata request", victim)
		}
		if err := c.PauseNode(ctx, victim); err != nil {
			t.Errorf("pausing twice should still find it stopped: %v", err)
		}
		if err := c.ResumeNode(ctx, victim); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Metadata(ctx, victim, DefaultTopic); err != nil {
			t.Errorf("resumed %s does not answer: %v", victim, err)
		}
	})

	t.Run("packet loss drops packets, heal removes it", func(t *testing.T) {
		victim := c.Brokers[1]
		if err := c.Loss(ctx, 0.3, victim); err != nil {
			t.Fatal(err)
		}
		if n, err := droppedPackets(ctx, victim); err != nil || n == 0 {
			t.Errorf("dropped packets = %d, %v; want > 0", n, err)
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := droppedPackets(ctx, victim); err != nil || n != 0 {
			t.Errorf("after heal the fault chains still count %d drops (%v): rules remain", n, err)
		}
	})

	t.Run("delay with netem", func(t *testing.T) {
		err := c.Delay(ctx, 300*time.Millisecond, 10*time.Millisecond, c.Brokers[2])
		if errors.Is(err, ErrNetemUnavailable) {
			t.Skipf("skipping: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Heal(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ProbeFromClient(ctx, c.Brokers[2])
		if d := time.Since(start); d > 150*time.Millisecond {
			t.Errorf("connect still takes %s after heal", d)
		}
	})

	t.Run("a fault that did not take effect fails its proof", func(t *testing.T) {
		a, b := c.Brokers[0], c.Brokers[1]
		if err := c.provePairs(ctx, [][2]*Node{{a, b}}, true); err == nil {
			t.Error("proving a cut between two connected brokers succeeded")
		}
		if err := waitProbe(ctx, a, Refusing, time.Second); err == nil {
			t.Errorf("proving a kill of the running %s succeeded", a)
		}
		if err := c.signalJVM(ctx, a, "CONT", true); err == nil {
			t.Errorf("proving a pause of the running %s succeeded", a)
		}
		if err := c.waitDrops(ctx, a, 2*time.Second); err == nil {
			t.Errorf("proving packet loss on %s without loss rules succeeded", a)
		}
	})
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// lastStateBefore returns the last ZooKeeper state of key with a leader recorded before event
// index at. A controller taking over from a dead one that led the partition first writes it
// leaderless (leader -1, the dead leader out of the ISR, epoch+1), then elects: a 200 ms poll
// sometimes sees that state, which is no leader's.
func lastStateBefore(events []electionlog.Event, at int, key string) (electionlog.Event, bool) {
	for i := at - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind == electionlog.KindPartition && e.Source == electionlog.SourceZooKeeper && e.Key() == key && *e.Leader >= 0 {
			return e, true
		}
	}
	return electionlog.Event{}, false
}

func obsTime(o *observe.Observer, mark int) time.Duration {
	ev := o.Events()
	if mark > 0 && mark <= len(ev) {
		return time.Duration(ev[mark-1].Time)
	}
	return 0
}

// restoreIfFailed starts n again when the subtest fails and leaves it down, so the subtests
// after it still test what they say instead of failing on a dead broker.
func restoreIfFailed(t *testing.T, ctx context.Context, c *Cluster, n *Node) {
	t.Cleanup(func() {
		if !t.Failed() || ProbeFromClient(ctx, n) == Accepting {
			return
		}
		time.Sleep(8 * time.Second) // the 6 s session of a killed broker expires first
		if err := c.StartNode(ctx, n); err != nil {
			t.Logf("could not restore %s for the next subtests: %v", n, err)
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := c.WaitRecovered(wctx, DefaultTopic, len(c.Brokers)); err != nil {
			t.Logf("restored %s, but the cluster did not recover: %v", n, err)
		}
	})
}

func restart(t *testing.T, ctx context.Context, c *Cluster, n *Node) {
	t.Helper()
	if err := c.StartNode(ctx, n); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, ctx, c)
}

// waitHealthy waits until every broker is registered and every partition has its full ISR.
func waitHealthy(t *testing.T, ctx context.Context, c *Cluster) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.WaitRecovered(wctx, DefaultTopic, len(c.Brokers)); err != nil {
		t.Fatal(err)
	}
}

// The new leader is judged against the last state that had one: a controller taking over from a
// dead leader writes the partition leaderless first, and the observer may see it.
func TestLastStateBeforeSkipsALeaderlessState(t *testing.T) {
	state := func(leader, epoch int, isr ...int) electionlog.Event {
		return electionlog.Event{Kind: electionlog.KindPartition, Source: electionlog.SourceZooKeeper, Topic: DefaultTopic,
			Partition: electionlog.Int(0), Leader: electionlog.Int(leader), LeaderEpoch: electionlog.Int(epoch), ISR: isr}
	}
	other := state(3, 9, 3)
	other.Partition = electionlog.Int(1)
	events := []electionlog.Event{
		state(2, 0, 1, 2, 3),
		state(-1, 1, 1, 3), // leaderless: broker 2 died
		other,
		state(1, 2, 1, 3), // elected
	}
	prev, ok := lastStateBefore(events, 3, DefaultTopic+"-0")
	if !ok || *prev.Leader != 2 || *prev.LeaderEpoch != 0 {
		t.Errorf("state before the election: %+v (found %v), want leader 2 at epoch 0", prev, ok)
	}
	if _, ok := lastStateBefore(events[1:], 2, DefaultTopic+"-0"); ok {
		t.Error("a leaderless state passed for a leader's")
	}
}
