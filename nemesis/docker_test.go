package nemesis_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// testCluster adapts *harness.Cluster to nemesis.Cluster for this test only; the harness has
// its own adapter (harness imports nemesis, so nemesis cannot import harness outside tests).
type testCluster struct {
	c  *harness.Cluster
	zk *harness.ZooKeeper
}

func (tc testCluster) node(name string) (*harness.Node, error) {
	if name == nemesis.ClientNode {
		return tc.c.Client, nil
	}
	if n := tc.c.Node(name); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("no node %q", name)
}

func (tc testCluster) nodes(names []string) ([]*harness.Node, error) {
	out := make([]*harness.Node, len(names))
	for i, name := range names {
		n, err := tc.node(name)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func nodeNames(nodes []*harness.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

func (tc testCluster) Brokers() []string    { return nodeNames(tc.c.Brokers) }
func (tc testCluster) ZooKeepers() []string { return nodeNames(tc.c.ZooKeepers) }

func (tc testCluster) broker(id int) (string, error) {
	if b := tc.c.Broker(id); b != nil {
		return b.Name, nil
	}
	return "", fmt.Errorf("no broker with id %d", id)
}

func (tc testCluster) Controller(context.Context) (string, error) {
	s, err := tc.zk.Controller()
	if err != nil {
		return "", err
	}
	if s.Controller < 0 {
		return "", errors.New("no controller elected")
	}
	return tc.broker(s.Controller)
}

func (tc testCluster) PartitionLeader(_ context.Context, topic string, partition int) (string, error) {
	s, err := tc.zk.Partition(topic, partition)
	if err != nil {
		return "", err
	}
	if s.Leader < 0 {
		return "", fmt.Errorf("%s-%d has no leader", topic, partition)
	}
	return tc.broker(s.Leader)
}

// ZooKeeperLeader asks each ZooKeeper node's srvr four-letter word for its mode.
func (tc testCluster) ZooKeeperLeader(ctx context.Context) (string, error) {
	for _, z := range tc.c.ZooKeepers {
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", z.Addr())
		if err != nil {
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = conn.Write([]byte("srvr"))
		out, _ := io.ReadAll(bufio.NewReader(conn))
		conn.Close()
		if strings.Contains(string(out), "Mode: leader") {
			return z.Name, nil
		}
	}
	return "", errors.New("no ZooKeeper node reports Mode: leader")
}

func (tc testCluster) do(ctx context.Context, name string, op func(context.Context, *harness.Node) error) error {
	n, err := tc.node(name)
	if err != nil {
		return err
	}
	return op(ctx, n)
}

func (tc testCluster) Kill(ctx context.Context, node string) error {
	return tc.do(ctx, node, tc.c.KillNode)
}
func (tc testCluster) Start(ctx context.Context, node string) error {
	return tc.do(ctx, node, tc.c.StartNode)
}
func (tc testCluster) Pause(ctx context.Context, node string) error {
	return tc.do(ctx, node, tc.c.PauseNode)
}
func (tc testCluster) Resume(ctx context.Context, node string) error {
	return tc.do(ctx, node, tc.c.ResumeNode)
}

func (tc testCluster) Cut(ctx context.Context, a, b []string) error {
	an, err := tc.nodes(a)
	if err != nil {
		return err
	}
	bn, err := tc.nodes(b)
	if err != nil {
		return err
	}
	return tc.c.Cut(ctx, an, bn)
}

func (tc testCluster) Loss(ctx context.Context, p float64, names ...string) error {
	nodes, err := tc.nodes(names)
	if err != nil {
		return err
	}
	return tc.c.Loss(ctx, p, nodes...)
}

func (tc testCluster) Delay(ctx context.Context, delay, jitter time.Duration, names ...string) error {
	nodes, err := tc.nodes(names)
	if err != nil {
		return err
	}
	return tc.c.Delay(ctx, delay, jitter, nodes...)
}

func (tc testCluster) NetemAvailable(ctx context.Context) error { return tc.c.NetemAvailable(ctx) }
func (tc testCluster) Heal(ctx context.Context) error           { return tc.c.Heal(ctx) }

// TestScheduleAgainstDocker runs kill-leader then isolate-leader against a real cluster.
func TestScheduleAgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a minute")
	}
	c := harness.StartTestCluster(t, harness.ClusterConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	zk, err := c.DialZooKeeper(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	tc := testCluster{c: c, zk: zk}

	faults, err := nemesis.Lookup([]string{"kill-leader", "isolate-leader"})
	if err != nil {
		t.Fatal(err)
	}
	if err := nemesis.CheckAvailable(ctx, tc, faults); err != nil {
		t.Fatal(err)
	}
	// Rest after the kill lets the restarted broker register before the next fault.
	s := nemesis.Schedule{Seed: 1, Limit: 90 * time.Second, Faults: faults, Steps: []nemesis.Step{
		{Fault: "kill-leader", Hold: 3 * time.Second, Rest: 4 * time.Second},
		{Fault: "isolate-leader", Start: 7 * time.Second, Hold: 3 * time.Second, Rest: time.Second},
	}}
	var buf bytes.Buffer
	rec := history.NewRecorder(history.NewWriter(&buf), time.Now())
	runner := nemesis.NewRunner(tc, rec, s, rand.New(rand.NewSource(1)))
	start := time.Now()
	if err := runner.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, buf.String())
	}
	t.Logf("schedule ran in %s:\n%s", time.Since(start).Round(time.Millisecond), buf.String())

	dec := history.NewDecoder(&buf)
	var infos []history.Op
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if op.Process != history.NemesisProcess {
			t.Errorf("op %+v is not the nemesis's", op)
		}
		if op.Type == history.Info {
			infos = append(infos, op)
		}
	}
	var fs []string
	for _, op := range infos {
		fs = append(fs, op.F)
		if op.Error != "" {
			t.Errorf("%s failed: %s (value %s)", op.F, op.Error, op.Value)
		}
	}
	want := []string{"kill-leader", nemesis.FRecover, "isolate-leader", nemesis.FRecover, nemesis.FHealAll}
	if !slices.Equal(fs, want) {
		t.Fatalf("nemesis completions %v, want %v", fs, want)
	}
	for _, i := range []int{0, 2} {
		var inj nemesis.Injection
		if err := json.Unmarshal(infos[i].Value, &inj); err != nil {
			t.Fatal(err)
		}
		if len(inj.Nodes) != 1 || !strings.HasPrefix(inj.Partition, harness.DefaultTopic+"-") {
			t.Errorf("%s recorded %s, want one broker and the partition", infos[i].F, infos[i].Value)
		}
		if inj.Fault == "isolate-leader" && !slices.Contains(inj.From, "zk1") {
			t.Errorf("isolate-leader did not cut the leader from ZooKeeper: %s", infos[i].Value)
		}
	}

	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if err := c.WaitBrokersRegistered(wctx, zk); err != nil {
		t.Fatalf("after heal-all: %v", err)
	}
	if a := runner.Active(); len(a) != 0 {
		t.Errorf("Active() = %v after the run", a)
	}
}
