package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/sweep"
)

// fakeRun stands in for a chaos run: it writes the run directory a run would (config.json,
// results.json, run.log) with a verdict the cell decides: acks=1 loses a write. It records
// which runs it was asked for.
type fakeRun struct{ ran []string }

func (f *fakeRun) run(_ context.Context, spec harness.RunSpec, stdout, _ io.Writer) (int, *harness.RunResult, error) {
	f.ran = append(f.ran, filepath.Base(spec.OutDir))
	if err := os.MkdirAll(spec.OutDir, 0o755); err != nil {
		return exitError, nil, err
	}
	cfg := harness.RunConfig{Spec: spec, Seed: spec.Seed, Command: spec.Command, Cluster: spec.Cluster,
		Started: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(spec.Seed%1000) * time.Second)}
	res := &checker.Result{Valid: checker.Valid, Anomalies: map[checker.AnomalyType][]checker.Anomaly{}}
	if spec.Workload.Acks.String() == "1" {
		res.Valid = checker.Invalid
		res.Anomalies[checker.LostWrite] = []checker.Anomaly{{Type: checker.LostWrite, Key: "t-0", Explanation: "acknowledged, never read"}}
	}
	for name, v := range map[string]any{harness.ConfigFile: cfg, harness.ResultsFile: res} {
		data, err := json.Marshal(v)
		if err != nil {
			return exitError, nil, err
		}
		if err := os.WriteFile(filepath.Join(spec.OutDir, name), data, 0o644); err != nil {
			return exitError, nil, err
		}
	}
	fmt.Fprintf(stdout, "%s: %s\n", spec.OutDir, res.Valid)
	return exitCode(res), &harness.RunResult{Dir: spec.OutDir, Result: res}, nil
}

// sweepWith runs `kafkaesque sweep ARGS` in process with a fake run.
func sweepWith(t *testing.T, fake *fakeRun, args ...string) (int, string, string) {
	t.Helper()
	root := newRootCmd(io.Discard, io.Discard)
	for _, c := range root.Commands() {
		if c.Name() == "sweep" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newSweepCmdWith(fake.run))
	var stdout, stderr strings.Builder
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append([]string{"sweep"}, args...))
	code := exitValid
	if _, err := root.ExecuteC(); err != nil {
		code = exitError
		if st, ok := err.(exitStatus); ok {
			code = int(st)
		} else {
			fmt.Fprintln(&stderr, err)
		}
	}
	return code, stdout.String(), stderr.String()
}

const testMatrix = `
name: test
test-count: 2
time-limit: 20s
flags:
  nemesis: kill-leader
matrix:
  acks: [all, 1]
  partitions: [1, 2]
`

func writeMatrix(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "matrix.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A sweep runs every cell --test-count times, writes the index, the JUnit file and latest, and
// exits with the worst verdict; two shards merged give the unsharded sweep's index.
func TestSweepShardsMergeToTheUnshardedIndex(t *testing.T) {
	cluster.RequireDocker(t)
	matrix := writeMatrix(t, testMatrix)
	whole := t.TempDir()
	var fake fakeRun
	code, stdout, stderr := sweepWith(t, &fake, "--matrix", matrix, "--seed", "7", "--id", "night1", "--out", whole)
	if code != exitAnomalies {
		t.Fatalf("exit %d, want 1 (acks=1 cells lose writes)\n%s\n%s", code, stdout, stderr)
	}
	if len(fake.ran) != 8 {
		t.Fatalf("ran %d runs, want 4 cells x 2: %v", len(fake.ran), fake.ran)
	}
	for _, want := range []string{"acks=1 partitions=2", "sweep verdict: invalid", "junit.xml"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	wholeIndex := readIndex(t, whole)
	if len(wholeIndex) != 8 {
		t.Fatalf("index.json has %d runs, want 8", len(wholeIndex))
	}
	if target, err := os.Readlink(filepath.Join(whole, "latest")); err != nil || !slices.ContainsFunc(wholeIndex, func(e report.IndexEntry) bool { return e.Run == target }) {
		t.Errorf("latest -> %q (%v), not a run of the index", target, err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(filepath.Join(whole, "sweeps", "night1", "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	if n := len(suites.Suites); n != 1 || len(suites.Suites[0].Cases) != 8 {
		t.Fatalf("junit: %d suites, want one with a case per run:\n%s", n, data)
	}

	var shards []string
	var ran []string
	for i := 1; i <= 2; i++ {
		dir := t.TempDir()
		var shardFake fakeRun
		code, stdout, stderr := sweepWith(t, &shardFake, "--matrix", matrix, "--seed", "7", "--id", "night1", "--out", dir, "--shard", fmt.Sprintf("%d/2", i))
		if code != exitAnomalies { // each shard gets an acks=1 cell: cells alternate
			t.Fatalf("shard %d/2: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "sweeps", "night1", fmt.Sprintf("junit-shard-%d-of-2.xml", i))); err != nil {
			t.Errorf("shard %d/2: %v", i, err)
		}
		shards = append(shards, dir)
		ran = append(ran, shardFake.ran...)
	}
	slices.Sort(ran)
	slices.Sort(fake.ran)
	if !slices.Equal(ran, fake.ran) {
		t.Fatalf("the shards ran %v, the sweep %v", ran, fake.ran)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	var out strings.Builder
	if code := runMerge(merged, shards, &out, &out); code != exitValid {
		t.Fatalf("merge: exit %d\n%s", code, out.String())
	}
	mergedIndex := readIndex(t, merged)
	if len(mergedIndex) != len(wholeIndex) {
		t.Fatalf("merged index: %d runs, want %d", len(mergedIndex), len(wholeIndex))
	}
	for i := range wholeIndex {
		a, b := wholeIndex[i], mergedIndex[i]
		a.Spec, b.Spec = nil, nil // the out directory differs
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("run %d:\nunsharded %s\nmerged    %s", i, ja, jb)
		}
	}
	if data, err := os.ReadFile(filepath.Join(merged, "sweeps", "night1", "junit.xml")); err != nil || strings.Count(string(data), "<testcase") != 8 {
		t.Errorf("merged junit.xml: %v\n%s", err, data)
	}

	// One shard alone is an incomplete sweep: merged, but exit 3 naming the missing shard.
	partial := filepath.Join(t.TempDir(), "partial")
	out.Reset()
	if code := runMerge(partial, shards[:1], &out, &out); code != exitUnknown || !strings.Contains(out.String(), "sweep night1 is incomplete: shards missing: 2/2") {
		t.Errorf("merging shard 1 of 2: exit %d\n%s", code, out.String())
	}
	if data, err := os.ReadFile(filepath.Join(partial, "sweeps", "night1", "junit.xml")); err != nil || strings.Count(string(data), "<testcase") != 4 {
		t.Errorf("partial junit.xml: %v\n%s", err, data)
	}
	// Merging the rest into it completes it; its junit.xml, rebuilt, is no conflict.
	out.Reset()
	if code := runMerge(partial, shards[1:], &out, &out); code != exitValid {
		t.Errorf("merging shard 2 into shard 1's merge: exit %d\n%s", code, out.String())
	}
}

// A shard with no runs (more shards than runs) still writes its record, so merge knows it ran.
func TestEmptyShardWritesItsRecord(t *testing.T) {
	cluster.RequireDocker(t)
	out := t.TempDir()
	var fake fakeRun
	code, stdout, stderr := sweepWith(t, &fake, "--matrix", writeMatrix(t, "matrix: {acks: [all, 1]}"), "--seed", "1", "--id", "e", "--shard", "3/3", "--out", out)
	if code != exitValid || len(fake.ran) != 0 || !strings.Contains(stdout, "nothing to run") {
		t.Fatalf("exit %d, ran %v\n%s\n%s", code, fake.ran, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "sweeps", "e", "sweep-shard-3-of-3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec sweep.Record
	if err := json.Unmarshal(data, &rec); err != nil || rec.ShardCount != 3 || rec.TotalRuns != 2 || len(rec.Runs) != 0 {
		t.Fatalf("record %+v (%v)", rec, err)
	}
}

func readIndex(t *testing.T, dir string) []report.IndexEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx report.IndexFile
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx.Runs
}

// Bad matrices and flags are refused, naming the problem, before any run starts.
func TestBadSweepsStartNothing(t *testing.T) {
	cluster.RequireDocker(t)
	out := t.TempDir()
	for _, f := range []string{"used-c01-r1-seed5/config.json", "sweeps/done/sweep.json"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(out, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		matrix string
		args   []string
		want   string
	}{
		{"matrix: {acks: [all, 2]}", nil, "cell 2 (acks=2): --acks"},
		{"matrix: {akcs: [all, 1]}", nil, "--akcs is no flag of kafkaesque run"},
		{"flags: {out: x}", nil, "--out is the sweep's"},
		{"matrix: {seed: [0, 1]}", nil, "a cell's seed must be a positive number"},
		{"matrix: {nemesis: [kill-everything]}", nil, `unknown fault "kill-everything"`},
		{"matrix: {time-limit: [5s]}\nflags: {nemesis: kill-leader}", nil, "plans no fault"},
		{"flags: {acks: all}", []string{"--acks", "1"}, "--acks is set both"},
		{"matrix: {acks: [all]}", []string{"--vary", "acks=1|all"}, "already varies --acks"},
		{"", []string{"--vary", "acks"}, "want FLAG=V1|V2"},
		{"", []string{"--shard", "3/2", "--seed", "1"}, "--shard: want I/N"},
		{"", []string{"--shard", "1/2"}, "--shard needs --seed and --id"},
		{"", []string{"--shard", "1/2", "--seed", "3"}, "--shard needs --seed and --id"},
		{"", []string{"--vary", "nemesis=kill-leader|"}, "has an empty value"},
		{"", []string{"--id", "done"}, "sweeps/done/sweep.json exists: sweep done ran already"},
		{"", []string{"--out", filepath.Join(out, "used-c01-r1-seed5")}, "--out: "},
		{"", []string{"--test-count", "0"}, "--test-count must be at least 1"},
		{"", []string{"--id", "../x"}, `--id "../x"`},
		{"matrix: {seed: [5]}", []string{"--id", "used"}, "sweep used ran already"},
		{"matrix: {broker-config: [a=1]}", []string{"--broker-config", "a=2"}, "--broker-config a is set twice"},
		{"flags: {acks: [all, 1]}", nil, "--acks is given 2 times"},
		{"bogus: 1", nil, "field bogus not found"},
		{"", []string{"--keep-cluster"}, "--keep-cluster needs --stop-on-fail"},
		{"flags: {keep-cluster: true}", nil, "--keep-cluster needs --stop-on-fail"},
	} {
		args := []string{"--out", out}
		if tc.matrix != "" {
			args = append(args, "--matrix", writeMatrix(t, tc.matrix))
		}
		var fake fakeRun
		code, stdout, stderr := sweepWith(t, &fake, append(args, tc.args...)...)
		if code != exitError || !strings.Contains(stderr, tc.want) || len(fake.ran) > 0 {
			t.Errorf("%q %v: exit %d, ran %v, stderr %q; want exit 2 naming %q\n%s", tc.matrix, tc.args, code, fake.ran, stderr, tc.want, stdout)
		}
	}
}
