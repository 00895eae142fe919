package txn

import (
	"bytes"
	"context"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	txncheck "github.com/kafkaesque/kafkaesque/checker/txn"
	"github.com/kafkaesque/kafkaesque/history"
)

// txnHistory is a decoded txn history split into what the Docker tests check.
type txnHistory struct {
	ops       []history.Op
	completed map[history.Type]int // txn completions by type
	committed []history.Mop        // committed sends, with offsets
	aborted   map[string]bool      // values sent by transactions that failed
	// drain is the final log, key -> offset -> value, from the drain's ok polls.
	drain map[string]map[int64]string
}

// decodeTxnHistory reads data with history.Decoder (any error, warning or op left open fails the
// test), checks no process invokes after an info, and that each ok drain poll's reads lie in
// [from, hw).
func decodeTxnHistory(t *testing.T, data []byte) txnHistory {
	t.Helper()
	h := txnHistory{ops: decode(t, data), completed: map[history.Type]int{}, aborted: map[string]bool{}, drain: map[string]map[int64]string{}}
	checkProcesses(t, h.ops)
	invokes := map[int]history.Op{}
	for _, op := range h.ops {
		switch {
		case op.Type == history.Invoke:
			invokes[op.Process] = op
		case op.F == history.FTxn:
			h.txnCompletion(t, op)
		case op.F == history.FPoll && op.Type == history.OK:
			h.drainPoll(t, invokes[op.Process], op)
		}
	}
	return h
}

func (h *txnHistory) txnCompletion(t *testing.T, op history.Op) {
	t.Helper()
	h.completed[op.Type]++
	v, err := op.Txn()
	if err != nil {
		t.Fatalf("op %d: %v", op.Index, err)
	}
	for _, m := range v.Mops {
		if m.F != history.MopSend {
			continue
		}
		switch op.Type {
		case history.OK:
			if m.Offset == nil {
				t.Errorf("op %d: a committed send without an offset: %s", op.Index, op.Value)
				continue
			}
			h.committed = append(h.committed, m)
		case history.Fail:
			h.aborted[m.Value] = true
		}
	}
}

func (h *txnHistory) drainPoll(t *testing.T, inv, op history.Op) {
	t.Helper()
	pi, err := inv.PollKeys()
	if err != nil || !pi.Drain {
		t.Fatalf("op %d: a poll that is not the drain's (%v): %s", op.Index, err, inv.Value)
	}
	pr, err := op.PollReads()
	if err != nil {
		t.Fatal(err)
	}
	for key, reads := range pr.Reads {
		from, hw := pi.From[key], pr.HW[key]
		if h.drain[key] == nil {
			h.drain[key] = map[int64]string{}
		}
		for _, r := range reads {
			if r.Offset < from || r.Offset >= hw {
				t.Errorf("op %d: drain poll of %s from %d with hw %d read offset %d", op.Index, key, from, hw, r.Offset)
			}
			if prev, ok := h.drain[key][r.Offset]; ok && prev != r.Value {
				t.Errorf("%s offset %d drained as %q and %q", key, r.Offset, prev, r.Value)
			}
			h.drain[key][r.Offset] = r.Value
		}
	}
}

// checkFinalLog asserts the drain's guarantees: every committed send is in the final log at its
// offset with its value, and no value of a failed transaction is there.
func (h txnHistory) checkFinalLog(t *testing.T) {
	t.Helper()
	for _, m := range h.committed {
		if got, ok := h.drain[m.Key][*m.Offset]; !ok || got != m.Value {
			t.Errorf("committed send of %q at %s/%d: the drain read %q there", m.Value, m.Key, *m.Offset, got)
		}
	}
	for key, log := range h.drain {
		for offset, value := range log {
			if h.aborted[value] {
				t.Errorf("%s/%d: the read-committed drain read %q, sent by a transaction that failed", key, offset, value)
			}
		}
	}
}

// checkValid runs the history through the transactional checker, allowing what Kafka's design
// allows at read-committed, and wants it valid.
func checkValid(t *testing.T, ctx context.Context, data []byte) {
	t.Helper()
	allow := map[checker.AnomalyType]bool{}
	for a := range txncheck.Allowed(string(ReadCommitted)) {
		allow[a] = true
	}
	res, err := txncheck.Check(ctx, bytes.NewReader(data), checker.Options{Allow: allow})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if res.Valid == checker.Valid {
		return
	}
	t.Errorf("verdict %s: incomplete %q, allowed %v", res.Valid, res.Incomplete, res.Allowed)
	for typ, as := range res.Anomalies {
		if !allow[typ] && len(as) > 0 {
			t.Errorf("%d × %s, the first: %s", len(as), typ, as[0].Explanation)
		}
	}
}
