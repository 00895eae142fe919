package nemesis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nemesisadapter"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// TestScheduleAgainstDocker runs kill-leader then isolate-leader against a real cluster.
func TestScheduleAgainstDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Docker and a minute")
	}
	c := cluster.StartTestCluster(t, cluster.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tc := nemesisadapter.New(c)

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
		if len(inj.Nodes) != 1 || !strings.HasPrefix(inj.Partition, cluster.DefaultTopic+"-") {
			t.Errorf("%s recorded %s, want one broker and the partition", infos[i].F, infos[i].Value)
		}
		if inj.Fault == "isolate-leader" && !slices.Contains(inj.From, "zk1") {
			t.Errorf("isolate-leader did not cut the leader from ZooKeeper: %s", infos[i].Value)
		}
	}

	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	if err := c.WaitBrokersRegistered(wctx); err != nil {
		t.Fatalf("after heal-all: %v", err)
	}
	if a := runner.Active(); len(a) != 0 {
		t.Errorf("Active() = %v after the run", a)
	}
}
