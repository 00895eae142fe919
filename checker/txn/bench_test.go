package txn

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
)

// benchShape is the benchmark's history: 8 keys, 8 clients, up to 4 mops a transaction, a tenth
// aborted on purpose, 2% failing and 1% indeterminate.
func benchShape(lines int) genConfig {
	return genConfig{Lines: lines, Keys: 8, Clients: 8, MaxMops: 4, MaxBatch: 4,
		AbortRate: 0.1, FailRate: 0.02, InfoRate: 0.01, Seed: 1}
}

func writeTxnHistory(tb testing.TB, lines int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "history.jsonl")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := generate(w, benchShape(lines)); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// checkTxnFile checks a generated history with what Kafka's design allows at read-committed:
// the simulated Kafka is correct, so the verdict must be valid.
func checkTxnFile(tb testing.TB, path string) *checker.Result {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	allow := map[checker.AnomalyType]bool{}
	for t := range Allowed(ReadCommitted) {
		allow[t] = true
	}
	res, err := Check(context.Background(), f, checker.Options{Allow: allow, LinearizabilityTimeLimit: time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Valid != checker.Valid {
		tb.Fatalf("generated history judged %s (incomplete: %v): %s", res.Valid, res.Incomplete, dump(res))
	}
	return res
}

func TestGeneratedTxnHistoryIsValid(t *testing.T) {
	res := checkTxnFile(t, writeTxnHistory(t, 40000))
	s := res.Txn
	if s.Committed == 0 || s.AbortedOnPurpose == 0 || s.Aborted == s.AbortedOnPurpose || s.Indeterminate == 0 || s.Polls == 0 || s.GraphEdges == 0 {
		t.Errorf("the generated history lacks a kind of transaction: %+v", *s)
	}
	if len(res.Anomalies[checker.G0]) == 0 {
		t.Errorf("no G0 cycle (allowed) in a history of concurrent transactions: the ww edges are missing")
	}
}

// BenchmarkTxnCheck1M checks a generated 1,000,000-line transactional history, cycle search
// included (see docs/benchmarks.md).
func BenchmarkTxnCheck1M(b *testing.B) {
	path := writeTxnHistory(b, 1_000_000)
	runtime.GC()
	var res *checker.Result
	for b.Loop() {
		res = checkTxnFile(b, path)
	}
	b.ReportMetric(float64(res.Stats.Lines), "lines")
	b.ReportMetric(float64(res.Txn.Committed), "committed")
	b.ReportMetric(float64(res.Txn.GraphNodes), "nodes")
	b.ReportMetric(float64(res.Txn.GraphEdges), "edges")
	b.ReportMetric(res.Txn.CycleSeconds, "cycle-s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}
