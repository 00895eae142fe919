package checker

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history/historygen"
)

// writeHistory generates a clean history of about lines lines into dir.
func writeHistory(tb testing.TB, dir string, lines int) string {
	tb.Helper()
	path := filepath.Join(dir, "history.jsonl")
	if _, err := historygen.WriteFile(path, historygen.Default(lines)); err != nil {
		tb.Fatal(err)
	}
	return path
}

func checkFile(tb testing.TB, path string) *Result {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	res, err := Check(context.Background(), f, Options{LinearizabilityTimeLimit: 60 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Valid != Valid {
		tb.Fatalf("generated history judged %s: %s", res.Valid, dump(res))
	}
	return res
}

func TestGeneratedHistoryIsValid(t *testing.T) {
	checkFile(t, writeHistory(t, t.TempDir(), 50000))
}

// BenchmarkCheck1M checks a generated 1,000,000-line clean history with 8
// keys, 4 producers and 4 consumers (see docs/benchmarks.md).
func BenchmarkCheck1M(b *testing.B) {
	path := writeHistory(b, b.TempDir(), 1_000_000)
	runtime.GC()
	var res *Result
	for b.Loop() {
		res = checkFile(b, path)
	}
	b.ReportMetric(float64(res.Stats.Lines), "lines")
	b.ReportMetric(float64(res.Stats.LinOps), "lin-ops")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}
