package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// fakeRun describes a run directory for the results store's tests: config.json with a spec and
// (unless unchecked) results.json. Zero fields take the defaults of writeFakeRun.
type fakeRun struct {
	started   time.Time
	seed      int64
	version   string // Kafka version; default 3.9.2
	acks      string // default "all"
	verdict   checker.Validity
	unchecked bool // no results.json
	anomalies map[checker.AnomalyType]int
	allowed   []checker.AnomalyType
	faults    []checker.FaultImpact
	sweep     *rundir.SweepRun
	extraSpec map[string]any // fields added to the spec
}

// day is noon UTC of day d of November 2025.
func day(d int) time.Time { return time.Date(2025, 11, d, 12, 0, 0, 0, time.UTC) }

// writeFakeRun writes results/name as a run directory and returns its path.
func writeFakeRun(t testing.TB, results, name string, r fakeRun) string {
	t.Helper()
	dir := filepath.Join(results, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if r.version == "" {
		r.version = "3.9.2"
	}
	if r.acks == "" {
		r.acks = "all"
	}
	cluster := map[string]any{"Brokers": 3, "ZooKeepers": 1, "KafkaVersion": r.version, "Mode": "zk",
		"BrokerConfig": map[string]string{"min.insync.replicas": "2"}}
	spec := fixtureSpec(cluster, int(r.seed), "kill")
	spec["Workload"].(map[string]any)["Acks"] = r.acks
	spec["OutDir"] = "results/" + name
	spec["Command"] = "kafkaesque run --seed " + name
	if r.sweep != nil {
		spec["Sweep"] = r.sweep
	}
	for k, v := range r.extraSpec {
		spec[k] = v
	}
	writeRunConfig(t, dir, map[string]any{"spec": spec, "seed": r.seed, "started": r.started, "run_id": name,
		"command": spec["Command"], "cluster": cluster})
	if r.unchecked {
		return dir
	}
	res := checker.Result{Valid: r.verdict, Anomalies: map[checker.AnomalyType][]checker.Anomaly{}, Allowed: r.allowed,
		Faults: r.faults, Stats: checker.Stats{DurationSeconds: 30}}
	if r.verdict == checker.Unknown {
		res.Incomplete = []string{"linearizability search timed out"}
	}
	for typ, n := range r.anomalies {
		for i := 0; i < n; i++ {
			res.Anomalies[typ] = append(res.Anomalies[typ], checker.Anomaly{Type: typ, Key: "jepsen-0", Ops: []int64{int64(i)}, Explanation: "fake"})
		}
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readIndexJSON reads results/index.json.
func readIndexJSON(t testing.TB, results string) IndexFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(results, IndexJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var f IndexFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func entryNamed(t testing.TB, entries []IndexEntry, name string) IndexEntry {
	t.Helper()
	for _, e := range entries {
		if e.Run == name {
			return e
		}
	}
	t.Fatalf("no index entry for %s", name)
	return IndexEntry{}
}

func secs(s float64) *float64 { return &s }
