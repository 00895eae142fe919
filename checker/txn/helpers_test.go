package txn

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/internal/histtest"
	"github.com/kafkaesque/kafkaesque/history"
)

// builder writes small transactional histories: each line 10 ns after the last.
type builder struct {
	*histtest.Builder
	t   *testing.T
	now int64
}

func newBuilder(t *testing.T) *builder { return &builder{Builder: histtest.New(t), t: t} }

// tick is the time of the next line.
func (b *builder) tick() int64 {
	b.now += 10
	b.At(b.now)
	return b.now
}

// sendMop is a send mop acknowledged at off (off < 0: no offset).
func sendMop(key, value string, off int64) history.Mop {
	m := history.Send(key, value)
	if off >= 0 {
		m.Offset = &off
	}
	return m
}

// pollMop is a poll mop that read reads (key, then alternating offsets and values).
func pollMop(key string, pairs ...any) history.Mop {
	return history.Mop{F: history.MopPoll, Reads: histtest.Reads(key, pairs...)}
}

// pollMops is a poll mop that read several keys.
func pollMops(reads ...map[string][]history.Read) history.Mop {
	m := history.Mop{F: history.MopPoll, Reads: map[string][]history.Read{}}
	for _, r := range reads {
		for k, v := range r {
			m.Reads[k] = v
		}
	}
	return m
}

// invoke writes a transaction's invocation by process p: done's mops without what was learned.
func (b *builder) invoke(p int, done ...history.Mop) int64 {
	b.tick()
	planned := make([]history.Mop, len(done))
	for i, m := range done {
		planned[i] = history.Mop{F: m.F, Key: m.Key, Value: m.Value}
	}
	return b.Line(p, history.Invoke, history.FTxn, history.TxnValue{Mops: planned})
}

// end writes the completion of p's transaction; a committed (ok) one asked to commit 5 ns earlier.
func (b *builder) end(p int, typ history.Type, done ...history.Mop) int64 {
	now := b.tick()
	v := history.TxnValue{Mops: done}
	if typ == history.OK {
		at := now - 5
		v.CommitAt = &at
	}
	return b.Line(p, typ, history.FTxn, v)
}

// txn writes a whole transaction, invocation and completion; it returns the completion's line.
func (b *builder) txn(p int, typ history.Type, done ...history.Mop) int64 {
	b.invoke(p, done...)
	return b.end(p, typ, done...)
}

// drain writes the final drain of key (from 0, the end confirmed at hw).
func (b *builder) drain(p int, key string, hw int64, pairs ...any) int64 {
	b.tick()
	op := b.Drain(p, key, hw, pairs...)
	b.now += 40
	return op
}

func (b *builder) check(opts checker.Options) *checker.Result {
	b.t.Helper()
	res, err := Check(context.Background(), strings.NewReader(b.Text()), opts)
	if err != nil {
		b.t.Fatalf("check: %v\n%s", err, b.Text())
	}
	return res
}

// only asserts that exactly the given types were reported, and the verdict that follows.
func only(t *testing.T, res *checker.Result, types ...checker.AnomalyType) {
	t.Helper()
	want := map[checker.AnomalyType]bool{}
	for _, ty := range types {
		want[ty] = true
		if len(res.Anomalies[ty]) == 0 {
			t.Errorf("want %s, got none; anomalies: %s", ty, dump(res))
		}
	}
	for ty, list := range res.Anomalies {
		if !want[ty] && len(list) > 0 {
			t.Errorf("unexpected %s: %s", ty, dump(res))
		}
	}
	if len(types) > 0 && res.Valid != checker.Invalid {
		t.Errorf("verdict %s, want invalid", res.Valid)
	}
	if len(types) == 0 && res.Valid != checker.Valid {
		t.Errorf("verdict %s, want valid (incomplete: %v)", res.Valid, res.Incomplete)
	}
}

func dump(res *checker.Result) string {
	b, _ := json.MarshalIndent(res.Anomalies, "", " ")
	return string(b)
}

// first is the first anomaly of type ty; it fails the test if there is none.
func first(t *testing.T, res *checker.Result, ty checker.AnomalyType) checker.Anomaly {
	t.Helper()
	if len(res.Anomalies[ty]) == 0 {
		t.Fatalf("no %s: %s", ty, dump(res))
	}
	return res.Anomalies[ty][0]
}

// mentions asserts that the explanation names every part.
func mentions(t *testing.T, a checker.Anomaly, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(a.Explanation, p) {
			t.Errorf("%s explanation %q does not mention %q", a.Type, a.Explanation, p)
		}
	}
}

// cites asserts that the anomaly cites every op given.
func cites(t *testing.T, a checker.Anomaly, ops ...int64) {
	t.Helper()
	for _, op := range ops {
		found := false
		for _, got := range a.Ops {
			found = found || got == op
		}
		if !found {
			t.Errorf("%s cites ops %v, want %d among them", a.Type, a.Ops, op)
		}
	}
}
