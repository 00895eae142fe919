package group_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/group"
	"github.com/kafkaesque/kafkaesque/checker/internal/histtest"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/history"
)

// builder writes group histories (histtest.Builder, plus the group workload's ops).
type builder struct{ *histtest.Builder }

func newBuilder(t *testing.T) *builder { return &builder{histtest.New(t)} }

// Group-op values as the group workload writes them.
type testGroupValue struct {
	Group      string           `json:"group"`
	Member     string           `json:"member"`
	Generation int              `json:"generation,omitempty"`
	Leader     bool             `json:"leader,omitempty"`
	Partitions []string         `json:"partitions,omitempty"`
	Committed  map[string]int64 `json:"committed,omitempty"`
	Start      map[string]int64 `json:"start,omitempty"`
	Offsets    map[string]int64 `json:"offsets,omitempty"`
	Keys       []string         `json:"keys,omitempty"`
}

func (b *builder) rebalance(p int, member string, gen int, committed map[string]int64) int64 {
	b.Line(p, history.Invoke, history.FRebalance, testGroupValue{Group: "g"})
	var keys []string
	for k := range committed {
		keys = append(keys, k)
	}
	start := map[string]int64{}
	for k, c := range committed {
		start[k] = max(c, 0)
	}
	return b.Line(p, history.OK, history.FRebalance, testGroupValue{Group: "g", Member: member, Generation: gen, Partitions: keys, Committed: committed, Start: start})
}

func (b *builder) commit(p int, member string, gen int, typ history.Type, offsets map[string]int64) int64 {
	v := testGroupValue{Group: "g", Member: member, Generation: gen, Offsets: offsets}
	b.Line(p, history.Invoke, history.FCommit, v)
	return b.Line(p, typ, history.FCommit, v)
}

func (b *builder) groupPoll(p int, member string, gen int, key string, reads ...history.Read) int64 {
	b.Line(p, history.Invoke, history.FPoll, testGroupValue{Group: "g", Member: member, Generation: gen, Keys: []string{key}})
	return b.Line(p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{key: reads}})
}

func checkGroup(t *testing.T, b *builder) *group.Result {
	t.Helper()
	res, err := group.Check(strings.NewReader(b.Text()))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Present {
		t.Fatal("group ops not found")
	}
	return res
}

func countType(res *group.Result, typ checker.AnomalyType) int {
	n := 0
	for _, a := range res.Anomalies {
		if a.Type == typ {
			n++
		}
	}
	return n
}

// healthy is a clean history: two generations, a hand-over with a re-delivery.
func healthy(t *testing.T) *builder {
	b := newBuilder(t)
	b.Send(0, "t-0", "v1", 0)
	b.Send(0, "t-0", "v2", 1)
	b.rebalance(1, "a", 1, map[string]int64{"t-0": -1})
	b.groupPoll(2, "a", 1, "t-0", history.Read{Offset: 0, Value: "v1"}, history.Read{Offset: 1, Value: "v2"})
	b.commit(2, "a", 1, history.OK, map[string]int64{"t-0": 1})
	b.rebalance(3, "b", 2, map[string]int64{"t-0": 1})
	b.groupPoll(4, "b", 2, "t-0", history.Read{Offset: 1, Value: "v2"})
	b.commit(4, "b", 2, history.OK, map[string]int64{"t-0": 2})
	return b
}

func TestGroupHealthy(t *testing.T) {
	res := checkGroup(t, healthy(t))
	if len(res.Anomalies) != 0 {
		t.Fatalf("anomalies in a healthy history: %+v", res.Anomalies)
	}
	if res.Stats.Redelivered != 1 || res.Stats.Rebalances != 2 || res.Stats.CommitsOK != 2 || res.Stats.Generations != 2 {
		t.Errorf("stats = %+v, want 1 re-delivery, 2 rebalances, 2 ok commits, 2 generations", res.Stats)
	}
}

func TestGroupAbsentInQueueHistory(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, "t-0", "v1", 0)
	res, err := group.Check(strings.NewReader(b.Text()))
	if err != nil || res.Present {
		t.Fatalf("group.Check of a queue history = %+v, %v; want not present", res, err)
	}
}

// A transactional history's transactions and transaction coordinator look-ups are not group
// ops: no group is present (checker/txn judges them).
func TestGroupAbsentInTxnHistory(t *testing.T) {
	b := newBuilder(t)
	b.Line(1, history.Invoke, history.FCoordinator, map[string]any{"txn_id": "kafkaesque-txn-0"})
	b.Line(1, history.OK, history.FCoordinator, map[string]any{"txn_id": "kafkaesque-txn-0", "broker": 2})
	b.Line(0, history.Invoke, history.FTxn, map[string]any{"mops": []any{[]any{"send", "t-0", "v1"}}})
	b.Line(0, history.OK, history.FTxn, map[string]any{"mops": []any{[]any{"send", "t-0", []any{0, "v1"}}}})
	res, err := group.Check(strings.NewReader(b.Text()))
	if err != nil || res.Present {
		t.Fatalf("group.Check of a txn history = %+v, %v; want not present", res, err)
	}
}

func TestGroupUnconsumed(t *testing.T) {
	b := healthy(t)
	b.Send(0, "t-0", "v3", 2) // acked, never read by a member
	b.Line(9, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{"t-0"}})
	b.Line(9, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{"t-0": {{Offset: 2, Value: "v3"}}}}) // a drain poll, not a member's
	res := checkGroup(t, b)
	if countType(res, checker.GroupUnconsumed) != 1 || len(res.Anomalies) != 1 {
		t.Fatalf("anomalies = %+v, want one group-unconsumed", res.Anomalies)
	}
}

func TestGroupSharedPartition(t *testing.T) {
	b := healthy(t)
	b.groupPoll(5, "c", 2, "t-0", history.Read{Offset: 1, Value: "v2"}) // c is not in generation 2's assignment
	res := checkGroup(t, b)
	if countType(res, checker.GroupSharedPartition) != 1 || len(res.Anomalies) != 1 {
		t.Fatalf("anomalies = %+v, want one group-shared-partition", res.Anomalies)
	}
	// A zombie of generation 1 polling while generation 2 runs is not shared consumption.
	b = healthy(t)
	b.groupPoll(6, "a", 1, "t-0", history.Read{Offset: 1, Value: "v2"})
	if res := checkGroup(t, b); len(res.Anomalies) != 0 {
		t.Fatalf("zombie poll reported: %+v", res.Anomalies)
	}
}

func TestGroupCommitRegression(t *testing.T) {
	b := healthy(t)
	b.commit(4, "b", 2, history.OK, map[string]int64{"t-0": 1}) // below the acked 2
	res := checkGroup(t, b)
	if countType(res, checker.GroupCommitRegression) != 1 || len(res.Anomalies) != 1 {
		t.Fatalf("anomalies = %+v, want one group-commit-regression", res.Anomalies)
	}
	// A committed offset read back below an acked commit also went backwards.
	b = healthy(t)
	b.rebalance(7, "c", 3, map[string]int64{"t-0": 1})
	if res := checkGroup(t, b); countType(res, checker.GroupCommitRegression) != 1 {
		t.Fatalf("anomalies = %+v, want one group-commit-regression for the read-back", res.Anomalies)
	}
}

func TestGroupResumeSkip(t *testing.T) {
	b := healthy(t)
	b.rebalance(7, "c", 3, map[string]int64{"t-0": 5}) // nobody ever committed 5
	res := checkGroup(t, b)
	if countType(res, checker.GroupResumeSkip) != 1 {
		t.Fatalf("anomalies = %+v, want one group-resume-skip", res.Anomalies)
	}
	// An ambiguous commit of 5 could have been stored: resuming there is no skip.
	b = healthy(t)
	b.commit(4, "b", 2, history.Info, map[string]int64{"t-0": 5})
	b.rebalance(7, "c", 3, map[string]int64{"t-0": 5})
	if res := checkGroup(t, b); len(res.Anomalies) != 0 {
		t.Fatalf("resume at an info commit reported: %+v", res.Anomalies)
	}
}

func TestCheckAcceptsGroupOps(t *testing.T) {
	b := healthy(t)
	b.Line(8, history.Invoke, history.FCoordinator, map[string]string{"group": "g"})
	b.Line(8, history.OK, history.FCoordinator, map[string]any{"group": "g", "broker": 2})
	res, err := checker.Check(context.Background(), strings.NewReader(b.Text()), checker.Options{LinearizabilityTimeLimit: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.SendsOK != 2 || res.Stats.PollsOK != 2 {
		t.Errorf("stats = %+v, want the sends and member polls counted", res.Stats)
	}
}

// drainPoll is one of the final drain's polls of key (marked "drain"), with its high watermark.
func (b *builder) drainPoll(p int, key string, from, hw int64, reads ...history.Read) int64 {
	b.Line(p, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{key}, From: map[string]int64{key: from}, Drain: true})
	return b.Line(p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{key: reads}, HW: map[string]int64{key: hw}})
}

// groupPollFrom is a member's poll as the workload records it now: with from and hw.
func (b *builder) groupPollFrom(p int, member string, gen int, key string, from, hw int64, reads ...history.Read) int64 {
	b.Line(p, history.Invoke, history.FPoll, map[string]any{"group": "g", "member": member, "generation": gen, "keys": []string{key}, "from": map[string]int64{key: from}})
	return b.Line(p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{key: reads}, HW: map[string]int64{key: hw}})
}

// withUnreadV3 is the healthy history plus v3, acknowledged at offset 2 and never read by a
// member (the members reached offset 2), and a final drain that read the whole log [0, 3).
func withUnreadV3(t *testing.T) *builder {
	b := healthy(t)
	b.Send(0, "t-0", "v3", 2)
	b.drainPoll(9, "t-0", 0, 3, history.Read{Offset: 0, Value: "v1"}, history.Read{Offset: 1, Value: "v2"}, history.Read{Offset: 2, Value: "v3"})
	return b
}

// A group drain that fell short of the final high watermark makes the values past what the
// members reached unknown, not group-unconsumed; the run's verdict is unknown.
func TestGroupUnconsumedDrainFellShort(t *testing.T) {
	b := withUnreadV3(t)
	res := checkGroup(t, b)
	if len(res.Anomalies) != 0 {
		t.Fatalf("anomalies = %+v, want none: the members never got to offset 2", res.Anomalies)
	}
	if len(res.Incomplete) != 1 || !strings.Contains(res.Incomplete[0], "t-0") || res.Stats.UnconsumedUnknown != 1 {
		t.Fatalf("incomplete = %q, unknown = %d; want one reason naming t-0 and 1 unknown value", res.Incomplete, res.Stats.UnconsumedUnknown)
	}
	run, err := runcheck.Check(context.Background(), strings.NewReader(b.Text()), runcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Valid != checker.Unknown || len(run.Anomalies[checker.GroupUnconsumed]) != 0 || !containsSub(run.Incomplete, "group's drain did not catch up on t-0") {
		t.Fatalf("runcheck.Check: valid %s, group-unconsumed %v, incomplete %q; want unknown with the group's drain named", run.Valid, run.Anomalies[checker.GroupUnconsumed], run.Incomplete)
	}
	// No high watermark learned at all (the drain's only poll failed): unknown as well.
	b = healthy(t)
	b.Send(0, "t-0", "v3", 2)
	b.Line(9, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{"t-0"}, Drain: true})
	b.Line(9, history.Fail, history.FPoll, nil)
	if res := checkGroup(t, b); len(res.Anomalies) != 0 || len(res.Incomplete) != 1 || !strings.Contains(res.Incomplete[0], "no high watermark") {
		t.Fatalf("failed drain: anomalies %+v, incomplete %q; want none and one reason", res.Anomalies, res.Incomplete)
	}
}

// Near misses: once a member reached the final high watermark, an unread value is
// group-unconsumed as before; an unread value below what members reached is reported even when
// the drain fell short; a group that read everything is valid.
func TestGroupUnconsumedDrainCaughtUp(t *testing.T) {
	b := withUnreadV3(t)
	b.groupPollFrom(4, "b", 2, "t-0", 3, 3) // member b at offset 3 = the final high watermark: it skipped v3
	res := checkGroup(t, b)
	if countType(res, checker.GroupUnconsumed) != 1 || len(res.Incomplete) != 0 {
		t.Fatalf("anomalies %+v, incomplete %q; want one group-unconsumed and a complete check", res.Anomalies, res.Incomplete)
	}

	b = withUnreadV3(t)
	b.Send(0, "t-0", "v4", 3)
	b.Send(0, "t-0", "v5", 4)
	b.groupPollFrom(4, "b", 2, "t-0", 3, 4, history.Read{Offset: 3, Value: "v4"}) // past v3; v5 never reached
	b.drainPoll(10, "t-0", 3, 5, history.Read{Offset: 3, Value: "v4"}, history.Read{Offset: 4, Value: "v5"})
	res = checkGroup(t, b)
	if countType(res, checker.GroupUnconsumed) != 1 || res.Anomalies[0].Values[0] != "v3" || res.Stats.UnconsumedUnknown != 1 {
		t.Fatalf("anomalies %+v, unknown %d; want v3 group-unconsumed (members read past it) and v5 unknown", res.Anomalies, res.Stats.UnconsumedUnknown)
	}

	b = withUnreadV3(t)
	b.groupPollFrom(4, "b", 2, "t-0", 2, 3, history.Read{Offset: 2, Value: "v3"})
	res = checkGroup(t, b)
	if len(res.Anomalies) != 0 || len(res.Incomplete) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("a group that read everything: anomalies %+v, incomplete %q, warnings %q; want none", res.Anomalies, res.Incomplete, res.Warnings)
	}
	run, err := runcheck.Check(context.Background(), strings.NewReader(b.Text()), runcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Anomalies[checker.GroupUnconsumed]) != 0 || containsSub(run.Incomplete, "group's drain") {
		t.Fatalf("runcheck.Check: group-unconsumed %v, incomplete %q; want neither", run.Anomalies[checker.GroupUnconsumed], run.Incomplete)
	}
}

// A history from before drain markers is judged as before, and says what it assumed.
func TestGroupUnconsumedWithoutDrainMarkersWarns(t *testing.T) {
	b := healthy(t)
	b.Send(0, "t-0", "v3", 2)
	res := checkGroup(t, b)
	if countType(res, checker.GroupUnconsumed) != 1 || len(res.Warnings) != 1 || len(res.Incomplete) != 0 {
		t.Fatalf("anomalies %+v, warnings %q, incomplete %q; want one group-unconsumed and one warning", res.Anomalies, res.Warnings, res.Incomplete)
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A Checker sharing the queue checker's record of acknowledged sends (runcheck's single pass)
// finds what one keeping its own finds.
func TestSharedAckedSendsAgree(t *testing.T) {
	unconsumed := healthy(t)
	unconsumed.Send(0, "t-0", "v3", 2)
	unconsumed.Send(0, "t-1", "v4", 0)
	for name, b := range map[string]*builder{"healthy": healthy(t), "unconsumed": unconsumed, "unread v3": withUnreadV3(t)} {
		own := group.New()
		queue := checker.New(checker.Options{})
		shared := group.NewSharing(queue)
		if _, err := checker.Stream(context.Background(), strings.NewReader(b.Text()), own.Observe, queue.Observe, shared.Observe); err != nil {
			t.Fatal(err)
		}
		want, got := own.Finish(), shared.Finish()
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: sharing %+v, own record %+v", name, got, want)
		}
		if name == "unconsumed" && countType(got, checker.GroupUnconsumed) != 2 {
			t.Errorf("%s: %+v, want two group-unconsumed", name, got.Anomalies)
		}
	}
}
