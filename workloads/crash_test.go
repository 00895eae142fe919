package workloads_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// refusedBroker is an address nothing listens on: every request fails at once.
var refusedBroker = []string{"127.0.0.1:1"}

func unreachableQueue(t *testing.T, consumers int, crash time.Duration) (*workloads.Queue, *lockedBuffer) {
	t.Helper()
	rec, buf := newTestRecorder()
	q, err := workloads.NewQueue(workloads.QueueConfig{Bootstrap: refusedBroker, Topic: "t", Partitions: 2, Acks: workloads.AcksAll,
		Consumers: consumers, OpTimeout: 300 * time.Millisecond, CrashInterval: crash}, rec, rand.New(rand.NewSource(3)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, buf
}

// pollInvokes returns the decoded values of the history's poll invocations, with their raw JSON.
func pollInvokes(t *testing.T, h decoded) ([]history.PollInvoke, []string) {
	t.Helper()
	var out []history.PollInvoke
	var raw []string
	for _, op := range h.ops {
		if op.F != history.FPoll || op.Type != history.Invoke {
			continue
		}
		v, err := op.PollKeys()
		if err != nil {
			t.Fatal(err)
		}
		out, raw = append(out, v), append(raw, string(op.Value))
	}
	return out, raw
}

// Consumers crash at random: each crash is an invoke and an info by the dying process, which
// never appears again; the consumer carries on under a new process, still recording where it
// reads from.
func TestQueueConsumersCrash(t *testing.T) {
	q, buf := unreachableQueue(t, 2, 40*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	h := decodeHistory(t, buf.Bytes())
	crashes := 0
	ended := map[int]int64{} // process -> index of its info completion
	for _, op := range h.ops {
		if at, ok := ended[op.Process]; ok {
			t.Fatalf("op %d: process %d carries on after its info (op %d)", op.Index, op.Process, at)
		}
		if op.F == history.FCrash {
			var v workloads.CrashValue
			if err := json.Unmarshal(op.Value, &v); err != nil || v.Reason != workloads.CrashReason {
				t.Fatalf("op %d: crash value %s (%v), want reason %q", op.Index, op.Value, err, workloads.CrashReason)
			}
			if op.Type != history.Invoke && op.Type != history.Info {
				t.Fatalf("op %d: crash completes %s, want info", op.Index, op.Type)
			}
		}
		if op.Type == history.Info {
			if op.F == history.FCrash {
				crashes++
			}
			ended[op.Process] = op.Index
		}
	}
	if crashes < 5 || h.invokes[history.FCrash] != crashes {
		t.Fatalf("%d crash infos, %d crash invokes: want at least 5, each completed", crashes, h.invokes[history.FCrash])
	}
	if got := q.Stats().Crashes; got != int64(crashes) {
		t.Errorf("Stats().Crashes = %d, history has %d", got, crashes)
	}
	polls, raw := pollInvokes(t, h)
	for i, p := range polls {
		if _, ok := p.From[p.Keys[0]]; !ok || p.Drain {
			t.Fatalf("poll invoke %s: want from for its key and no drain marker", raw[i])
		}
	}
	if len(polls) == 0 {
		t.Fatal("no polls recorded")
	}
}

func TestQueueRejectsBadCrashInterval(t *testing.T) {
	base := workloads.QueueConfig{Bootstrap: refusedBroker, Topic: "t", Partitions: 1, Acks: workloads.AcksAll, Consumers: 1}
	rec, _ := newTestRecorder()
	for _, tc := range []struct {
		name      string
		interval  time.Duration
		consumers int
		want      string
	}{
		{"negative", -time.Second, 1, "must not be negative"},
		{"no consumers", time.Second, 0, "there are none"},
	} {
		cfg := base
		cfg.CrashInterval, cfg.Consumers = tc.interval, tc.consumers
		if _, err := workloads.NewQueue(cfg, rec, rand.New(rand.NewSource(1))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// A drain that never learns a partition's offset range still records one drain poll of it,
// failed with the reason, so the history shows the drain was attempted and is incomplete.
func TestDrainRecordsFailedPollWhenOffsetsUnknown(t *testing.T) {
	q, buf := unreachableQueue(t, 0, 0)
	res, err := q.Drain(context.Background(), 400*time.Millisecond)
	if !errors.Is(err, workloads.ErrDrainIncomplete) || len(res.Incomplete) != 2 {
		t.Fatalf("drain: %v, incomplete %v; want both partitions incomplete", err, res.Incomplete)
	}
	h := decodeHistory(t, buf.Bytes())
	polls, raw := pollInvokes(t, h)
	if len(polls) != 2 || h.completions[history.FPoll][history.Fail] != 2 {
		t.Fatalf("%d drain polls, %v completions; want one failed poll per partition", len(polls), h.completions[history.FPoll])
	}
	seen := map[string]bool{}
	for i, p := range polls {
		if !p.Drain || len(p.Keys) != 1 || p.From != nil || !strings.Contains(raw[i], `"drain":true`) {
			t.Errorf("drain poll invoke %s: want one key, \"drain\": true and no from", raw[i])
		}
		seen[p.Keys[0]] = true
	}
	if len(h.errors) == 0 {
		t.Error("the failed drain polls carry no error")
	}
	for e := range h.errors {
		if !strings.Contains(e, "no offset range of t-") {
			t.Errorf("drain poll error %q does not say what failed", e)
		}
	}
	if !seen["t-0"] || !seen["t-1"] {
		t.Errorf("drain polls of %v, want t-0 and t-1", seen)
	}
}
