package workloads_test

import (
	"bytes"
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// checkPollShapes checks what every poll records: its invoke asks for one key "from" an
// offset and is marked "drain" exactly when a drain process (>= firstDrainProc) made it; an ok
// poll names the key's high watermark ("hw"), at or past what it read. In a history without
// skips (strict), an ok poll's first read is at its from.
func checkPollShapes(t *testing.T, h decoded, firstDrainProc int, strict bool) {
	t.Helper()
	open := map[int]history.PollInvoke{}
	for _, op := range h.ops {
		if op.F != history.FPoll {
			continue
		}
		if op.Type == history.Invoke {
			v, err := op.PollKeys()
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Keys) != 1 {
				t.Fatalf("op %d: poll of %v, want one key", op.Index, v.Keys)
			}
			if _, ok := v.From[v.Keys[0]]; !ok {
				t.Fatalf("op %d: poll invoke %s without from", op.Index, op.Value)
			}
			if drain := op.Process >= firstDrainProc; v.Drain != drain {
				t.Fatalf("op %d: poll invoke %s by process %d: drain marker %v, want %v", op.Index, op.Value, op.Process, v.Drain, drain)
			}
			open[op.Process] = v
			continue
		}
		inv := open[op.Process]
		delete(open, op.Process)
		if op.Type != history.OK {
			continue
		}
		res, err := op.PollReads()
		if err != nil {
			t.Fatal(err)
		}
		key := inv.Keys[0]
		hw, ok := res.HW[key]
		if !ok {
			t.Fatalf("op %d: ok poll %s without hw", op.Index, op.Value)
		}
		if reads := res.Reads[key]; len(reads) > 0 {
			if last := reads[len(reads)-1].Offset; hw <= last {
				// Kafka answers a fetch, now and then, with a record at the high watermark it
				// reports, with or without faults: the watermark in the response is probably a
				// snapshot taken before the read, which bounds itself by the watermark again.
				// The hw is recorded as Kafka gave it, and the checker allows for this.
				t.Logf("op %d: Kafka returned offset %d with high watermark %d: %s", op.Index, last, hw, op.Value)
			}
			if strict && reads[0].Offset != inv.From[key] {
				t.Errorf("op %d: asked %s from %d, first read at %d", op.Index, key, inv.From[key], reads[0].Offset)
			}
		}
	}
}

// A drain of partitions nobody wrote records one ok drain poll each, from 0 with no reads and
// high watermark 0: the checker learns that the final log there is empty.
func checkEmptyDrain(t *testing.T, ctx context.Context, cfg workloads.QueueConfig) {
	t.Helper()
	rec, buf := newTestRecorder()
	cfg.Processes = nil
	q, err := workloads.NewQueue(cfg, rec, rand.New(rand.NewSource(9)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	res, err := q.Drain(ctx, 20*time.Second)
	if err != nil {
		t.Fatalf("drain of an empty topic: %v (%+v)", err, res)
	}
	h := decodeHistory(t, buf.Bytes())
	checkPollShapes(t, h, 0, true)
	okPolls := map[string]int{}
	for _, op := range h.ops {
		if op.F != history.FPoll || op.Type != history.OK {
			continue
		}
		v, err := op.PollReads()
		if err != nil {
			t.Fatal(err)
		}
		for key, reads := range v.Reads {
			okPolls[key]++
			if len(reads) != 0 || v.HW[key] != 0 {
				t.Errorf("op %d: empty %s drained as %s, want no reads and hw 0", op.Index, key, op.Value)
			}
		}
	}
	for p := range cfg.Partitions {
		if key := workloads.Key(cfg.Topic, p); okPolls[key] != 1 {
			t.Errorf("%s: %d ok drain polls of the empty partition, want 1", key, okPolls[key])
		}
	}
}

// Consumers crashed every half second or so: each crash is recorded, the consumer comes back
// under a new process id with a new client, and resumes exactly where it last read every
// partition (no offset skipped, none read again). One consumer, so its polls are one lineage.
func TestQueueCrashClient(t *testing.T) {
	c := cluster.StartTestCluster(t, cluster.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, buf := newTestRecorder()
	cfg := queueConfig(c)
	cfg.Consumers, cfg.Rate, cfg.CrashInterval = 1, 50, 500*time.Millisecond
	q, err := workloads.NewQueue(cfg, rec, rand.New(rand.NewSource(4)))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	runCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := q.Run(runCtx); err != nil {
		t.Fatalf("run: %v", err)
	}
	drainProc := q.Config().Processes.Allocated()
	res, err := q.Drain(ctx, 20*time.Second)
	if err != nil {
		t.Fatalf("drain: %v (%+v)", err, res)
	}
	st := q.Stats()
	t.Logf("sends %+v, polls %+v, crashes %d, processes %d", st.Send, st.Poll, st.Crashes, st.Processes)

	h := decodeHistory(t, buf.Bytes())
	if h.outstanding != 0 {
		t.Errorf("%d ops never completed", h.outstanding)
	}
	checkPollShapes(t, h, drainProc, true)
	logFrom(t, h, drainProc, res)

	crashes := h.completions[history.FCrash][history.Info]
	if crashes < 5 || int64(crashes) != st.Crashes || h.invokes[history.FCrash] != crashes {
		t.Fatalf("%d crash infos, %d invokes, Stats().Crashes %d: want at least 5, all three equal", crashes, h.invokes[history.FCrash], st.Crashes)
	}
	next := map[string]int64{} // key -> where the consumer should read next
	open := map[int]history.PollInvoke{}
	ended := map[int]bool{} // processes that completed an info
	crashedBy := -1         // process of the last crash, until the next poll
	resumed := 0            // polls right after a crash that resumed past offset 0
	for _, op := range h.ops {
		if ended[op.Process] {
			t.Fatalf("op %d: process %d carries on after an info", op.Index, op.Process)
		}
		if op.Type == history.Info {
			ended[op.Process] = true
		}
		if op.F == history.FCrash && op.Type == history.Info {
			crashedBy = op.Process
		}
		if op.F != history.FPoll || op.Process >= drainProc {
			continue
		}
		if op.Type == history.Invoke {
			v, _ := op.PollKeys()
			key := v.Keys[0]
			if v.From[key] != next[key] {
				t.Fatalf("op %d: consumer asks %s from %d, but it had read up to %d", op.Index, key, v.From[key], next[key])
			}
			if crashedBy >= 0 {
				if op.Process == crashedBy {
					t.Fatalf("op %d: polls under process %d, which crashed", op.Index, op.Process)
				}
				if v.From[key] > 0 {
					resumed++
				}
				crashedBy = -1
			}
			open[op.Process] = v
			continue
		}
		inv := open[op.Process]
		delete(open, op.Process)
		if op.Type == history.OK {
			key := inv.Keys[0]
			v, _ := op.PollReads()
			if reads := v.Reads[key]; len(reads) > 0 {
				next[key] = reads[len(reads)-1].Offset + 1
			}
		}
	}
	if resumed == 0 {
		t.Errorf("no poll after a crash resumed past offset 0: %d crashes", crashes)
	}
	t.Logf("%d crashes, %d resumed mid-log", crashes, resumed)

	// Without faults the checker finds nothing wrong across the crashes.
	allow := map[checker.AnomalyType]bool{}
	for typ := range workloads.QueueAllowed(q.Config().Producer()) {
		allow[typ] = true
	}
	verdict, err := runcheck.Check(ctx, bytes.NewReader(buf.Bytes()), runcheck.Options{Options: checker.Options{Allow: allow}})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if verdict.Valid != checker.Valid {
		t.Errorf("verdict %s: anomalies %v, incomplete %q", verdict.Valid, verdict.Anomalies, verdict.Incomplete)
	}
}
