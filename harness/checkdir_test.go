package harness

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/workloads"
)

const cleanHistory = `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"]]}}}
`

func writeRunDir(t *testing.T, cfg *RunConfig, history string) string {
	t.Helper()
	dir := t.TempDir()
	if cfg != nil {
		if err := writeJSON(filepath.Join(dir, ConfigFile), cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, HistoryFile), []byte(history), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunCheckOptionsComeFromConfig(t *testing.T) {
	cfg := &RunConfig{
		Spec: RunSpec{Faults: []string{"kill-leader"}, CheckTimeLimit: 5 * time.Second, Workload: WorkloadSpec{Acks: workloads.AcksAll},
			Cluster: cluster.Config{BrokerConfig: map[string]string{"unclean.leader.election.enable": "false"}}},
		Allowed: map[checker.AnomalyType]string{checker.Duplicate: "retries"},
		Cluster: cluster.Config{BrokerConfig: map[string]string{"unclean.leader.election.enable": "true"}},
	}
	dir := writeRunDir(t, cfg, cleanHistory)
	opts, found, err := RunCheckOptions(dir)
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	want := CheckOptions{Allow: map[checker.AnomalyType]bool{checker.Duplicate: true}, UncleanEnabled: true,
		LinearizabilityTimeLimit: 5 * time.Second, PlannedFaults: []string{"kill-leader"}}
	if !reflect.DeepEqual(opts, want) {
		t.Errorf("options %+v, want %+v", opts, want)
	}
	merged := opts.Merge(map[checker.AnomalyType]bool{checker.LostWrite: true})
	if !merged.Allow[checker.Duplicate] || !merged.Allow[checker.LostWrite] || opts.Allow[checker.LostWrite] {
		t.Errorf("merge: %v (from %v)", merged.Allow, opts.Allow)
	}
	// The run planned kill-leader and the history injected none: unknown, as the run said.
	res, err := CheckRunDir(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid != checker.Unknown || !strings.Contains(strings.Join(res.Incomplete, " "), "none injected") {
		t.Errorf("verdict %s, incomplete %q", res.Valid, res.Incomplete)
	}
	// No config.json: not found, nothing planned, and the bare history is valid.
	bare := writeRunDir(t, nil, cleanHistory)
	if opts, found, err := RunCheckOptions(bare); err != nil || found || len(opts.PlannedFaults) > 0 {
		t.Errorf("bare directory: %+v, found %v, err %v", opts, found, err)
	}
	// A config.json naming an anomaly type this checker does not know is an error, not ignored.
	cfg.Allowed = map[checker.AnomalyType]string{"lost-writes": "typo"}
	if _, _, err := RunCheckOptions(writeRunDir(t, cfg, cleanHistory)); err == nil || !strings.Contains(err.Error(), "lost-writes") {
		t.Errorf("unknown allowed type: %v", err)
	}
}
