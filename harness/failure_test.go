package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// A run that stops on an error leaves the error, a report that shows it, and an index entry.
func TestRecordFailureWritesTheErrorAndTheReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run-1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, ConfigFile), RunConfig{Seed: 1, Spec: RunSpec{Workload: WorkloadSpec{Acks: workloads.AcksAll}}}); err != nil {
		t.Fatal(err)
	}
	recordFailure(dir, errors.New("start cluster: broker 2 exited at start-up"))
	got, err := os.ReadFile(filepath.Join(dir, rundir.RunErrorFile))
	if err != nil || !strings.Contains(string(got), "broker 2 exited") {
		t.Fatalf("%s: %q, %v", rundir.RunErrorFile, got, err)
	}
	for _, page := range []string{filepath.Join(dir, rundir.ReportFile), filepath.Join(filepath.Dir(dir), rundir.ReportFile)} {
		html, err := os.ReadFile(page)
		if err != nil || !strings.Contains(string(html), "broker 2 exited at start-up") {
			t.Errorf("%s does not show the run's error (%v)", page, err)
		}
	}
}

// Checking the directory of a run that stopped on an error never gives a verdict of valid,
// even when the history up to the stop has nothing wrong in it.
func TestCheckRunDirHonoursTheRunsError(t *testing.T) {
	dir := t.TempDir()
	hist := `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"]]}}}
`
	if err := os.WriteFile(filepath.Join(dir, HistoryFile), []byte(hist), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := CheckRunDir(t.Context(), dir, CheckOptions{})
	if err != nil || res.Valid != checker.Valid {
		t.Fatalf("setup: %v, %v", res.Valid, err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.RunErrorFile), []byte("workload: record send invoke: disk full\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = CheckRunDir(t.Context(), dir, CheckOptions{})
	if err != nil || res.Valid != checker.Unknown || !strings.Contains(strings.Join(res.Incomplete, ""), "disk full") {
		t.Fatalf("verdict %v, incomplete %v, err %v; want unknown naming the error", res.Valid, res.Incomplete, err)
	}
}
