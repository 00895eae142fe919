package runcheck

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history/historygen"
)

// writeFaultyHistory generates a history of about lines lines with faults, info and failed
// operations and consumer crashes (historygen.WithFaults) into dir.
func writeFaultyHistory(tb testing.TB, dir string, lines int) string {
	tb.Helper()
	path := filepath.Join(dir, "history.jsonl")
	if _, err := historygen.WriteFile(path, historygen.WithFaults(lines)); err != nil {
		tb.Fatal(err)
	}
	return path
}

// checkFaulty checks the file with every check the CLI runs on a bare history; the generator
// simulates a correct Kafka, so the verdict must be valid.
func checkFaulty(tb testing.TB, path string) *checker.Result {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	res, err := Check(context.Background(), f, Options{Options: checker.Options{LinearizabilityTimeLimit: time.Minute}})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Valid != checker.Valid {
		tb.Fatalf("generated history judged %s: incomplete %q, anomalies %v", res.Valid, res.Incomplete, res.Anomalies)
	}
	return res
}

// A generated history with faults, indeterminate and failed operations and consumer crashes is
// valid, and its faults are measured.
func TestGeneratedFaultyHistoryIsValid(t *testing.T) {
	res := checkFaulty(t, writeFaultyHistory(t, t.TempDir(), 200000))
	if len(res.Faults) == 0 || res.Stats.SendsInfo == 0 || res.Stats.SendsFail == 0 || res.Stats.PollsInfo == 0 {
		t.Fatalf("the history lacks faults or indeterminate ops: %d faults, %+v", len(res.Faults), res.Stats)
	}
	for _, f := range res.Faults {
		if f.Error != "" || f.Recovered == nil {
			t.Fatalf("fault %+v: want injected and recovered", f)
		}
	}
}

// BenchmarkCheck1M checks a generated 1,000,000-line history with faults (historygen.WithFaults)
// as `kafkaesque check` does (see docs/benchmarks.md).
func BenchmarkCheck1M(b *testing.B) { benchmarkCheck(b, 1_000_000) }

// BenchmarkCheck10M is BenchmarkCheck1M with 10,000,000 lines (1.4 GB). Generating the
// history takes about half a minute before the timer starts:
//
//	go test -c -o /work/bin/runcheck.test ./checker/runcheck
//	/work/bin/runcheck.test -test.run '^$' -test.bench BenchmarkCheck10M -test.benchtime 2x -test.benchmem
func BenchmarkCheck10M(b *testing.B) { benchmarkCheck(b, 10_000_000) }

func benchmarkCheck(b *testing.B, lines int) {
	path := writeFaultyHistory(b, b.TempDir(), lines)
	runtime.GC()
	var res *checker.Result
	for b.Loop() {
		res = checkFaulty(b, path)
	}
	b.ReportMetric(float64(res.Stats.Lines), "lines")
	b.ReportMetric(float64(res.Stats.LinOps), "lin-ops")
	b.ReportMetric(float64(len(res.Faults)), "faults")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}
