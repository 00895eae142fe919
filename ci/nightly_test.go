package ci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/cluster"
)

// workflowMatrix is a night small enough for a test: one cell known to lose writes (acks=1 with
// its leader isolated) and one safe cell without faults, so two of the four shards get a run
// and two get none.
const workflowMatrix = `
name: workflow-test
include:
  - {acks: 1, min-insync-replicas: 1, nemesis: isolate-leader, hold: 15s, rest: 10s, time-limit: 25s}
  - {nemesis: none, time-limit: 10s}
`

// TestNightlyWorkflowRunsLocally runs .github/workflows/nightly.yml's jobs here, as GitHub would
// (plan, four sweep shards, merge), with MATRIX pointing at a small matrix. The shard with the
// lossy cell must exit 1, every other step 0, and the merged results must hold both runs, once
// each, with one JUnit test case per run.
func TestNightlyWorkflowRunsLocally(t *testing.T) {
	cluster.RequireDocker(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	w := loadWorkflow(t, filepath.Join(repo, ".github", "workflows", "nightly.yml"))
	if _, ok := w.Env["MATRIX"]; !ok {
		t.Fatal("the workflow's env has no MATRIX: this test cannot give it a small one")
	}
	matrix := filepath.Join(t.TempDir(), "matrix.yaml")
	if err := os.WriteFile(matrix, []byte(workflowMatrix), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &runner{t: t, repo: repo, files: repoFiles(t, repo), artifacts: t.TempDir(),
		env: map[string]string{}, results: map[string]jobResult{}}
	for k, v := range w.Env {
		r.env[k] = v
	}
	r.env["MATRIX"] = matrix
	r.runWorkflow(w)

	id := r.results["plan"].outputs["id"]
	if id == "" || r.results["plan"].outputs["seed"] == "" {
		t.Fatalf("the plan job gave no seed or id: %v", r.results["plan"].outputs)
	}
	shards := map[string]int{}
	for _, s := range r.steps {
		switch s.job {
		case "sweep":
			if s.name == "sweep one shard" {
				shards[s.matrix["shard"]] = s.status
			}
		default:
			if s.status != 0 {
				t.Errorf("job %s step %q: exit %d", s.job, s.name, s.status)
			}
		}
	}
	// Runs are dealt round-robin: shard 1 gets the lossy cell, shard 2 the safe one.
	want := map[string]int{"1": 1, "2": 0, "3": 0, "4": 0}
	for shard, status := range want {
		if got, ok := shards[shard]; !ok || got != status {
			t.Errorf("shard %s/4: exit %d (ran: %v), want %d", shard, got, ok, status)
		}
	}
	merged := filepath.Join(r.artifacts, "nightly-"+id)
	data, err := os.ReadFile(filepath.Join(merged, "index.json"))
	if err != nil {
		t.Fatalf("the merged results: %v", err)
	}
	var index struct {
		Runs []struct {
			Run     string `json:"run"`
			Verdict string `json:"verdict"`
			Sweep   *struct {
				ID string `json:"id"`
			} `json:"sweep"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]int{}
	for _, run := range index.Runs {
		if run.Sweep == nil || run.Sweep.ID != id {
			t.Errorf("run %s is not of sweep %s: %+v", run.Run, id, run.Sweep)
		}
		verdicts[run.Verdict]++
	}
	if len(index.Runs) != 2 || verdicts["invalid"] != 1 || verdicts["valid"] != 1 {
		t.Errorf("merged index: %d runs, verdicts %v; want the lossy run invalid and the safe one valid", len(index.Runs), verdicts)
	}
	junit, err := os.ReadFile(filepath.Join(merged, "sweeps", id, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(junit), "<testcase"); n != 2 || strings.Count(string(junit), "<failure") != 1 {
		t.Errorf("merged junit.xml: %d test cases, want 2 with one failure:\n%s", n, junit)
	}
}
