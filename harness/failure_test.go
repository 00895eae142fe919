package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/report"
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
	got, err := os.ReadFile(filepath.Join(dir, report.RunErrorFile))
	if err != nil || !strings.Contains(string(got), "broker 2 exited") {
		t.Fatalf("%s: %q, %v", report.RunErrorFile, got, err)
	}
	for _, page := range []string{filepath.Join(dir, report.ReportFile), filepath.Join(filepath.Dir(dir), report.ReportFile)} {
		html, err := os.ReadFile(page)
		if err != nil || !strings.Contains(string(html), "broker 2 exited at start-up") {
			t.Errorf("%s does not show the run's error (%v)", page, err)
		}
	}
}
