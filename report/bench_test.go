package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history/historygen"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// BenchmarkReport1M renders the report of a 1,000,000-line run directory:
//
//	go test ./report/ -run '^$' -bench BenchmarkReport1M -benchtime 3x
func BenchmarkReport1M(b *testing.B) { benchmarkReport(b, historygen.Default(1_000_000)) }

// BenchmarkReport10M renders the report of a 10,000,000-line run directory whose history has
// faults, indeterminate and failed operations and consumer crashes (historygen.WithFaults).
// Preparing it (the history, then its results.json) takes about a minute before the timer
// starts; KQ_REPORT_DIR keeps the run directory there, to look at its index.html:
//
//	go test ./report/ -run '^$' -bench BenchmarkReport10M -benchtime 2x -timeout 30m
func BenchmarkReport10M(b *testing.B) { benchmarkReport(b, historygen.WithFaults(10_000_000)) }

func benchmarkReport(b *testing.B, cfg historygen.Config) {
	dir := b.TempDir()
	if keep := os.Getenv("KQ_REPORT_DIR"); keep != "" {
		dir = keep
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := historygen.WriteFile(filepath.Join(dir, rundir.HistoryFile), cfg); err != nil {
		b.Fatal(err)
	}
	ef, err := os.Create(filepath.Join(dir, rundir.ElectionsFile))
	if err != nil {
		b.Fatal(err)
	}
	ew := electionlog.NewWriter(ef)
	_ = ew.Write(electionlog.Event{Time: 1, Kind: electionlog.KindController, Source: electionlog.SourceZooKeeper, Controller: electionlog.Int(1), ControllerEpoch: electionlog.Int(1)})
	for p := range 8 {
		_ = ew.Write(electionlog.Event{Time: 2, Kind: electionlog.KindPartition, Source: electionlog.SourceZooKeeper, Topic: "t",
			Partition: electionlog.Int(p), Leader: electionlog.Int(p%3 + 1), LeaderEpoch: electionlog.Int(0), ISR: []int{1, 2, 3}})
	}
	ef.Close()
	writeConfig(b, dir)
	writeResults(b, dir, map[checker.AnomalyType]bool{})
	b.ResetTimer()
	for b.Loop() {
		if err := Write(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st, err := os.Stat(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/1e6, "MB-index.html")
}
