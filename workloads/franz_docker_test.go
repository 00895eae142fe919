package workloads_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// franz-go's idempotent producer, 16 sends in flight per producer (kgo batches them), through a
// partition leader's kill: every acknowledged send is read back by the drain at exactly the
// offset its promise gave, no value is appended twice, and the checker, allowing nothing, finds
// the run valid.
func TestFranzIdempotentLeaderKilled(t *testing.T) {
	c := cluster.StartTestCluster(t, cluster.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rec, buf := newTestRecorder()
	cfg := queueConfig(c)
	cfg.Client, cfg.Idempotent = workloads.ClientFranz, true
	cfg.Rate, cfg.InFlight = 400, 16
	cfg.OpTimeout = 3 * time.Second
	q, err := workloads.NewQueue(cfg, rec, rand.New(rand.NewSource(11)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	producer := q.Config().Producer()
	if allowed := workloads.QueueAllowed(producer); len(allowed) != 0 {
		t.Fatalf("an idempotent franz-go producer allows %v", allowed)
	}

	before := runKillingLeader(t, ctx, c, q, 20*time.Second, 4*time.Second, 7*time.Second, cfg.OpTimeout)
	st := q.Stats()
	t.Logf("sends %+v, polls %+v (before the kill: sends %+v)", st.Send, st.Poll, before.Send)
	if st.Send.OK <= before.Send.OK {
		t.Error("no sends acknowledged after the kill: franz-go did not follow the new leader")
	}

	if err := c.WaitRecovered(ctx, cluster.DefaultTopic, 3); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	drainProc := q.Config().Processes.Allocated()
	res, err := q.Drain(ctx, 25*time.Second)
	if err != nil {
		t.Fatalf("drain: %v (%+v)", err, res)
	}
	h := decodeHistory(t, buf.Bytes())
	if h.outstanding != 0 {
		t.Errorf("%d ops never completed", h.outstanding)
	}
	for e, n := range h.errors {
		t.Logf("%5d × %s", n, e)
	}
	logs := logFrom(t, h, drainProc, res)
	for _, s := range h.okSends {
		if got, ok := logs[s.Key][*s.Offset]; !ok || got != s.Value {
			t.Errorf("send %q acknowledged at %s/%d, drain read %q there", s.Value, s.Key, *s.Offset, got)
		}
	}
	seen := map[string]string{}
	for key, log := range logs {
		for offset, value := range log {
			where := fmt.Sprintf("%s/%d", key, offset)
			if prev, dup := seen[value]; dup {
				t.Errorf("value %q appended twice: at %s and at %s", value, prev, where)
			}
			seen[value] = where
		}
	}
	if len(h.okSends) == 0 || len(seen) < len(h.okSends) {
		t.Errorf("%d ok sends, %d distinct values in the log", len(h.okSends), len(seen))
	}
	verdict, err := runcheck.Check(ctx, bytes.NewReader(buf.Bytes()), runcheck.Options{Options: checker.Options{}})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if verdict.Valid != checker.Valid {
		t.Errorf("verdict %s with nothing allowed: anomalies %v, incomplete %q", verdict.Valid, verdict.Anomalies, verdict.Incomplete)
	}
	t.Logf("%d ok sends at exact offsets, %d values in the final log, sends %v", len(h.okSends), len(seen), h.completions[history.FSend])
}
