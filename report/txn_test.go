package report

import (
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/txn"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// txnRun writes a run directory of the txn workload: a transaction coordinator look-up that
// moves, an aborted transaction, and two committed transactions that read each other's writes
// (a G1c cycle: T1 polled T2's send and T2 polled T1's), then a drain.
func txnRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	w := history.NewWriter(f)
	var index int64
	line := func(at float64, p int, typ history.Type, fn string, value any) {
		op := history.Op{Index: index, Time: int64(at * 1e9), Process: p, Type: typ, F: fn}
		op.Value, _ = json.Marshal(value)
		if err := w.Write(op); err != nil {
			t.Fatal(err)
		}
		index++
	}
	off := func(o int64) *int64 { return &o }
	send := func(k, v string, o *int64) history.Mop {
		return history.Mop{F: history.MopSend, Key: k, Value: v, Offset: o}
	}
	poll := func(k string, o int64, v string) history.Mop {
		return history.Mop{F: history.MopPoll, Reads: map[string][]history.Read{k: {{Offset: o, Value: v}}}}
	}
	coord := func(at float64, broker int) {
		line(at, 9, history.Invoke, history.FCoordinator, map[string]any{"txn_id": "kafkaesque-txn-0"})
		line(at+0.01, 9, history.OK, history.FCoordinator, map[string]any{"txn_id": "kafkaesque-txn-0", "broker": broker})
	}
	coord(0.5, 2)
	line(1, 0, history.Invoke, history.FTxn, history.TxnValue{TxnID: "kafkaesque-txn-0", Abort: true, Mops: []history.Mop{history.Send("t-0", "v0")}})
	line(1.2, 0, history.Fail, history.FTxn, history.TxnValue{Mops: []history.Mop{send("t-0", "v0", off(0))}})
	// T1 and T2 overlap in time; each reads the other's send.
	line(2, 0, history.Invoke, history.FTxn, history.TxnValue{TxnID: "kafkaesque-txn-0", Mops: []history.Mop{history.Send("t-0", "v1"), history.Poll()}})
	line(2.1, 1, history.Invoke, history.FTxn, history.TxnValue{TxnID: "kafkaesque-txn-1", Mops: []history.Mop{history.Send("t-1", "v2"), history.Poll()}})
	line(3, 0, history.OK, history.FTxn, history.TxnValue{CommitAt: off(int64(2.9e9)), Mops: []history.Mop{send("t-0", "v1", off(2)), poll("t-1", 0, "v2")}})
	line(3.1, 1, history.OK, history.FTxn, history.TxnValue{CommitAt: off(int64(3.0e9)), Mops: []history.Mop{send("t-1", "v2", off(0)), poll("t-0", 2, "v1")}})
	coord(4, 3)
	for i, k := range []string{"t-0", "t-1"} {
		p := 20 + i
		line(5, p, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k}, From: map[string]int64{k: 0}, Drain: true})
		reads := map[string][]history.Read{"t-0": {{Offset: 2, Value: "v1"}}, "t-1": {{Offset: 0, Value: "v2"}}}[k]
		hw := map[string]int64{"t-0": 4, "t-1": 2}[k]
		line(5.1, p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{k: reads}, HW: map[string]int64{k: hw}})
		line(5.2, p, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k}, From: map[string]int64{k: hw}, Drain: true})
		line(5.3, p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{k: {}}, HW: map[string]int64{k: hw}})
	}
	f.Close()

	allowed := txn.Allowed(txn.ReadCommitted)
	allow := map[checker.AnomalyType]bool{}
	why := map[string]string{}
	for typ, reason := range allowed {
		allow[typ], why[string(typ)] = true, reason
	}
	hf, err := os.Open(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	res, err := txn.Check(context.Background(), hf, checker.Options{Allow: allow, LinearizabilityTimeLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(res)
	if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := fixtureSpec(map[string]any{"Brokers": 3, "ZooKeepers": 1}, 5, "kill-txn-coordinator")
	writeRunConfig(t, dir, map[string]any{"spec": spec, "seed": 5, "allowed": why, "run_id": "txn-5",
		"transactions": map[string]any{"client": "franz", "isolation": "read-committed", "abort_rate": 0.1, "max_mops": 4,
			"transaction_timeout": int64(10 * time.Second), "max_in_flight": 5, "op_timeout": int64(5 * time.Second)}})
	return dir
}

func TestReportShowsTransactions(t *testing.T) {
	dir := txnRun(t)
	page := html.UnescapeString(renderPage(t, dir))
	for _, want := range []string{
		"Transactions committed", "Transactions aborted (on purpose)</th><td>1 (1)",
		"Transaction latency", "franz-go transactional producers", "read-committed consumers",
		"G1c", `polled "v2" from t-1`, "[wr]", // the cycle, explained edge by edge
		"txn 0", "transaction coordinator of kafkaesque-txn-0: broker 3 from 4.01s", // the coordinator's move
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(page, "Send latency") {
		t.Error("a transactional run's latency plot is titled for sends")
	}
}
