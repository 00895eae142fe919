package txn

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

func runInBackground(t *testing.T, w *Workload) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(cancel)
	return cancel, done
}

// Pause returns once a client is held mid-transaction: it asks for no EndTxn while held, its
// transaction stays open in the history, and it has an acknowledged send; after Resume the
// transaction ends and the client goes on.
func TestPauseHoldsAClient(t *testing.T) {
	k := newFakeKafka()
	cfg := testConfig()
	cfg.Clients, cfg.Rate = 2, 200
	w, buf := fakeWorkload(t, cfg, k)
	cancel, done := runInBackground(t, w)

	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	id, proc, err := w.Pause(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ends := k.endsOf(id)
	time.Sleep(300 * time.Millisecond)
	if n := k.endsOf(id); n != ends {
		t.Fatalf("held client %s asked for %d EndTxn while held", id, n-ends)
	}
	open := openTxn(t, decode0(t, buf.Bytes()), proc)
	if open < 0 {
		t.Fatalf("process %d has no open transaction while held", proc)
	}
	others := 0
	for _, other := range w.TransactionalIDs() {
		if other != id {
			others += k.endsOf(other)
		}
	}
	if others == 0 {
		t.Error("the other client did not go on while one was held")
	}
	if err := w.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for k.endsOf(id) == ends && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if k.endsOf(id) == ends {
		t.Fatal("the resumed client did not end its transaction")
	}
	if err := w.Resume(ctx, id); err == nil || !strings.Contains(err.Error(), "no client is held") {
		t.Errorf("second Resume: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ops := decode(t, buf.Bytes())
	checkProcesses(t, ops)
	for _, op := range ops {
		if op.Process != proc || op.Type == history.Invoke || op.F != history.FTxn || op.Index < open {
			continue
		}
		v, err := op.Txn()
		if err != nil {
			t.Fatal(err)
		}
		acked := false
		for _, m := range v.Mops {
			acked = acked || (m.F == history.MopSend && m.Offset != nil)
		}
		if !acked {
			t.Errorf("the held transaction (op %d) had no acknowledged send: %s", op.Index, op.Value)
		}
		break
	}
}

// decode0 decodes a history that may have outstanding ops.
func decode0(t *testing.T, data []byte) []history.Op {
	t.Helper()
	var ops []history.Op
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var op history.Op
		if err := json.Unmarshal([]byte(line), &op); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	return ops
}

// openTxn is the index of proc's outstanding txn invoke, or -1.
func openTxn(t *testing.T, ops []history.Op, proc int) int64 {
	t.Helper()
	open := int64(-1)
	for _, op := range ops {
		if op.Process != proc || op.F != history.FTxn {
			continue
		}
		if op.Type == history.Invoke {
			open = op.Index
		} else {
			open = -1
		}
	}
	return open
}

// Without a client reaching a hold point, Pause gives up at its context's end and holds nothing.
func TestPauseGivesUp(t *testing.T) {
	w, _ := fakeWorkload(t, testConfig(), newFakeKafka())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if id, _, err := w.Pause(ctx); err == nil || id != "" {
		t.Fatalf("Pause with no client running: %q, %v", id, err)
	}
	if len(w.holds.pending) != 0 || len(w.holds.held) != 0 {
		t.Errorf("a failed Pause left %d requests, %d holds", len(w.holds.pending), len(w.holds.held))
	}
}

// The end of the run lets a held client go: Run returns, and a late Resume is not an error.
func TestRunEndReleasesHeldClient(t *testing.T) {
	cfg := testConfig()
	cfg.Rate = 200
	w, buf := fakeWorkload(t, cfg, newFakeKafka())
	cancel, done := runInBackground(t, w)
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	id, _, err := w.Pause(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return while a client was held")
	}
	if err := w.Resume(ctx, id); err != nil {
		t.Errorf("Resume after the run: %v", err)
	}
	decode(t, buf.Bytes())
}
