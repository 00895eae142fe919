package txn

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/history/historygen"
)

// A history without transactions gets exactly the queue checker's result, anomalies and all.
func TestPlainHistoryAsQueueChecker(t *testing.T) {
	for _, cfg := range []historygen.Config{
		historygen.Default(6000),
		{Lines: 6000, Keys: 3, Producers: 3, Consumers: 2, MaxBatch: 4, InfoRate: 0.1, FailRate: 0.1, Seed: 5},
	} {
		var sb strings.Builder
		w := bufio.NewWriter(&sb)
		if _, err := historygen.Generate(w, cfg); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		// Damage one read so that anomalies are found too.
		text := strings.Replace(sb.String(), `"reads":{"t-0":[[`, `"reads":{"t-0":[[99999,"phantom"],[`, 1)
		opts := checker.Options{LinearizabilityTimeLimit: time.Minute}
		want, err := checker.Check(context.Background(), strings.NewReader(text), opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Check(context.Background(), strings.NewReader(text), opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Anomalies) == 0 || got.Txn != nil {
			t.Fatalf("want a damaged plain history without txn stats; anomalies %v, txn %+v", want.Anomalies, got.Txn)
		}
		if a, b := resultJSON(t, want), resultJSON(t, got); a != b {
			t.Errorf("results differ:\nchecker: %s\ntxn:     %s", a, b)
		}
	}
}

func resultJSON(t *testing.T, r *checker.Result) string {
	r.Stats.DurationSeconds, r.Stats.LinSeconds = 0, 0
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A clean transactional history: valid, linearizability skipped with a warning, stats counted.
func TestCleanTransactions(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, history.OK, sendMop("t-0", "a", 0), sendMop("t-1", "b", 0))
	b.txn(1, history.Fail, sendMop("t-0", "x", 2), pollMop("t-0", 0, "a"))
	b.Line(1, history.Invoke, history.FTxn, history.TxnValue{Mops: []history.Mop{history.Send("t-0", "y")}, Abort: true})
	b.Line(1, history.Fail, history.FTxn, history.TxnValue{Mops: []history.Mop{history.Send("t-0", "y")}})
	b.txn(0, history.OK, pollMop("t-1", 0, "b"), sendMop("t-0", "c", 5))
	b.invoke(2, sendMop("t-1", "z", -1)) // never completes
	// Each log ends with a commit marker: the drain's last poll asks past it, at the end.
	b.drain(9, "t-0", 7, 0, "a", 5, "c")
	b.drain(9, "t-1", 2, 0, "b")
	res := b.check(checker.Options{})
	only(t, res)
	want := checker.TxnStats{Committed: 2, Aborted: 2, AbortedOnPurpose: 1, Incomplete: 1, Mops: 7, Sends: 5, Polls: 2,
		GraphNodes: 2, GraphEdges: res.Txn.GraphEdges, CycleSeconds: res.Txn.CycleSeconds}
	if *res.Txn != want {
		t.Errorf("txn stats %+v, want %+v", *res.Txn, want)
	}
	if res.Stats.Incomplete != 1 || res.Stats.SendsOK != 3 || res.Stats.SendsFail != 2 {
		t.Errorf("stats %+v: want 1 incomplete, 3 ok and 2 failed sends", res.Stats)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "linearizability is not checked") {
		t.Errorf("warnings %q do not say linearizability was skipped", res.Warnings)
	}
}

// A process whose transaction ended info must not invoke again; a completion must repeat its
// invocation's mops.
func TestRefusedHistories(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, history.Info, sendMop("t-0", "a", 0))
	b.txn(0, history.OK, sendMop("t-0", "b", 1))
	_, err := Check(context.Background(), strings.NewReader(b.Text()), checker.Options{})
	var le *history.LineError
	if !errors.As(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "ended info") {
		t.Errorf("info then invoke: got %v, want an error at line 3 about the process that ended info", err)
	}

	b = newBuilder(t)
	b.invoke(0, sendMop("t-0", "a", 0))
	b.end(0, history.OK, sendMop("t-0", "b", 0))
	_, err = Check(context.Background(), strings.NewReader(b.Text()), checker.Options{})
	if err == nil || !strings.Contains(err.Error(), "mop 0") {
		t.Errorf("mismatched mops: got %v, want an error naming mop 0", err)
	}

	b = newBuilder(t)
	b.txn(0, history.OK, sendMop("t-0", "a", 0))
	b.txn(1, history.Fail, sendMop("t-1", "a", 0))
	_, err = Check(context.Background(), strings.NewReader(b.Text()), checker.Options{})
	if err == nil || !strings.Contains(err.Error(), "already sent") {
		t.Errorf("a value sent twice: got %v, want an error", err)
	}
}

// After an aborted transaction a consumer may go back to its committed position: re-reading
// what the aborted transaction read is no nonmonotonic-poll. After a committed one it is.
func TestAbortedTransactionMayRewind(t *testing.T) {
	for _, middle := range []history.Type{history.Fail, history.OK} {
		b := newBuilder(t)
		b.txn(1, history.OK, sendMop("t-0", "a", 0), sendMop("t-0", "b", 1))
		b.txn(0, history.OK, pollMop("t-0", 0, "a"))
		b.txn(0, middle, pollMop("t-0", 1, "b"))
		op := b.txn(0, history.OK, pollMop("t-0", 1, "b"))
		b.drain(9, "t-0", 2, 0, "a", 1, "b")
		res := b.check(checker.Options{})
		if middle == history.Fail {
			only(t, res)
			continue
		}
		only(t, res, checker.NonmonotonicPoll)
		cites(t, first(t, res, checker.NonmonotonicPoll), op)
	}
}

// An aborted record that a read-uncommitted consumer read still takes no committed offset: the
// read-committed drain skipping it is no poll-skip. Skipping a committed record still is.
func TestSkippingAbortedRecords(t *testing.T) {
	for _, writer := range []history.Type{history.Fail, history.OK} {
		b := newBuilder(t)
		b.txn(1, history.OK, sendMop("t-0", "a", 0))
		b.txn(2, writer, sendMop("t-0", "x", 1))
		b.txn(1, history.OK, sendMop("t-0", "c", 2))
		b.txn(0, history.OK, pollMop("t-0", 0, "a", 1, "x", 2, "c"))
		b.drain(9, "t-0", 3, 0, "a", 2, "c")
		allow := map[checker.AnomalyType]bool{}
		for ty := range Allowed(ReadUncommitted) {
			allow[ty] = true
		}
		res := b.check(checker.Options{Allow: allow})
		if writer == history.Fail {
			if res.Valid != checker.Valid || len(res.Anomalies[checker.PollSkip]) > 0 || len(res.Anomalies[checker.AbortedRead]) != 1 {
				t.Errorf("aborted x skipped: verdict %s, want valid with only the allowed aborted read: %s", res.Valid, dump(res))
			}
			continue
		}
		only(t, res, checker.PollSkip, checker.LostWrite)
	}
}

// A read-committed drain's position moves past commit markers, which no poll returns: in a
// transactional history a drain poll covers up to where the next one asked. A plain history's
// drain with the same gap is incomplete (there, nothing but a record can take an offset).
func TestDrainPastCommitMarkers(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, history.OK, sendMop("t-0", "a", 0))
	b.drain(9, "t-0", 2, 0, "a") // asks at 0, reads a; then asks at 2, the end, past the marker at 1
	only(t, b.check(checker.Options{}))

	p := newBuilder(t)
	p.Send(0, "t-0", "a", 0)
	p.drain(9, "t-0", 2, 0, "a")
	if res := p.check(checker.Options{}); res.Valid != checker.Unknown {
		t.Errorf("plain history with a drain gap: verdict %s, want unknown (incomplete drain)", res.Valid)
	}
}
