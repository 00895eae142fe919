package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// duplicated is a run's history whose only anomaly is a duplicate, which the run allowed
// (config.json says so), with its planned fault injected and healed.
const duplicated = `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}
{"index":1,"time":5,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":1}}
{"index":2,"time":6,"process":1,"type":"invoke","f":"poll","value":{"keys":["t-0"]}}
{"index":3,"time":9,"process":1,"type":"ok","f":"poll","value":{"reads":{"t-0":[[0,"a"],[1,"a"]]}}}
{"index":4,"time":10,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}
{"index":5,"time":11,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","nodes":["kafka2"]}}
{"index":6,"time":20,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]}}
{"index":7,"time":21,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka2"]}}
{"index":8,"time":30,"process":-1,"type":"invoke","f":"heal-all"}
{"index":9,"time":31,"process":-1,"type":"info","f":"heal-all","value":{}}
`

// makeRunDir writes a run directory as the run does: config.json, which allows duplicate,
// then history.jsonl.
func makeRunDir(t *testing.T, parent, history string, faults []string) string {
	t.Helper()
	dir := filepath.Join(parent, "run-1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := harness.RunConfig{
		Spec:    harness.RunSpec{Faults: faults, Workload: harness.WorkloadSpec{Acks: workloads.AcksAll}},
		Allowed: map[checker.AnomalyType]string{checker.Duplicate: "the test's run allows it"},
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{harness.ConfigFile: string(data), harness.HistoryFile: history} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// check, check of the history and report of a run directory give the run's own verdict.
func TestRunDirectoryIsCheckedWithItsOwnOptions(t *testing.T) {
	dir := makeRunDir(t, t.TempDir(), duplicated, []string{"kill-leader"})
	for _, args := range [][]string{{"check", dir}, {"check", filepath.Join(dir, harness.HistoryFile)}} {
		code, stdout, stderr := run(args...)
		if code != exitValid || !strings.Contains(stdout, "duplicate: 1 (allowed)") || !strings.Contains(stderr, "with the run's options from config.json") {
			t.Errorf("%v: exit %d (want 0, as the run judged)\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
	}
	// report checks a directory without results.json the same way.
	code, stdout, stderr := run("report", dir)
	if code != exitValid {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res checker.Result
	data, err := os.ReadFile(filepath.Join(dir, harness.ResultsFile))
	if err != nil || json.Unmarshal(data, &res) != nil {
		t.Fatalf("results.json: %v", err)
	}
	if res.Valid != checker.Valid || len(res.Allowed) == 0 {
		t.Errorf("report's results.json: valid %s, allowed %v; want valid with duplicate allowed", res.Valid, res.Allowed)
	}
	// --json of the run directory is results.json's verdict.
	code, stdout, _ = run("check", "--json", dir)
	if code != exitValid || !strings.Contains(stdout, `"valid": true`) {
		t.Errorf("check --json: exit %d\n%s", code, stdout)
	}
	// The same history as a bare file keeps its flags: duplicate fails it unless allowed.
	bare := writeFile(t, "history.jsonl", duplicated)
	if code, stdout, _ := run("check", bare); code != exitAnomalies {
		t.Errorf("bare history: exit %d, want 1\n%s", code, stdout)
	}
	if code, _, _ := run("check", "--allow", "duplicate", bare); code != exitValid {
		t.Errorf("bare history with --allow duplicate: exit %d, want 0", code)
	}
	// A flag adds to the run's list (it never removes): allowing more keeps the run valid.
	if code, _, _ := run("check", "--allow", "lost-write", dir); code != exitValid {
		t.Errorf("run directory with --allow lost-write: exit %d, want 0", code)
	}
}

// A run that planned faults whose history shows none injected is unknown on re-check too.
func TestRunDirectoryPlannedFaultsNoneInjected(t *testing.T) {
	noFaults := strings.Join(strings.Split(duplicated, "\n")[:4], "\n") + "\n"
	dir := makeRunDir(t, t.TempDir(), noFaults, []string{"kill-leader"})
	code, stdout, _ := run("check", dir)
	if code != exitUnknown || !strings.Contains(stdout, "planned faults (kill-leader) but the history shows none injected") {
		t.Errorf("exit %d (want 3)\n%s", code, stdout)
	}
}
