package sweep

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

const exampleMatrix = `
name: test
test-count: 2
time-limit: 30s
flags:
  partitions: 3
  broker-config: [a=1, b=2]
matrix:
  kafka-version: [3.9.2, 4.4.0]
  acks: [all, 1]
  broker-config: [c=1, [c=2, d=3]]
exclude:
  - {kafka-version: 4.4.0, acks: 1}
include:
  - {acks: 1, nemesis: isolate-leader}
`

func mustCells(t *testing.T, src string, extra ...Flag) []Cell {
	t.Helper()
	m, err := ParseMatrix(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := m.Cells(extra)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func TestMatrixCells(t *testing.T) {
	m, err := ParseMatrix(strings.NewReader(exampleMatrix))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "test" || m.TestCount != 2 || m.TimeLimit != 30*time.Second {
		t.Fatalf("header: %+v", m)
	}
	cells, err := m.Cells([]Flag{{"producers", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name)
	}
	want := []string{
		"kafka-version=3.9.2 acks=all broker-config=c=1",
		"kafka-version=3.9.2 acks=all broker-config=c=2 broker-config=d=3",
		"kafka-version=3.9.2 acks=1 broker-config=c=1",
		"kafka-version=3.9.2 acks=1 broker-config=c=2 broker-config=d=3",
		"kafka-version=4.4.0 acks=all broker-config=c=1",
		"kafka-version=4.4.0 acks=all broker-config=c=2 broker-config=d=3",
		"acks=1 nemesis=isolate-leader",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("cells:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	last := cells[len(cells)-1]
	if last.Index != 7 || !slices.Equal(last.Flags, []Flag{{"partitions", "3"}, {"broker-config", "a=1"}, {"broker-config", "b=2"}, {"producers", "2"}, {"acks", "1"}, {"nemesis", "isolate-leader"}}) {
		t.Fatalf("last cell: %+v", last)
	}
}

func TestMatrixErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "empty matrix"},
		{"flgs: {acks: 1}", "field flgs not found"},
		{"matrix: {acks: []}", "matrix.acks (line 1) must be a non-empty list"},
		{"matrix: {acks: all}", "must be a non-empty list"},
		{"matrix: {acks: [all, all]}", "lists all twice"},
		{"flags: {acks: {x: 1}}", "want a value or a list of values, got a mapping"},
		{"flags: {acks: }", "has no value"},
		{"time-limit: soon", `time-limit "soon"`},
		{"test-count: -1", "test-count must be at least 1"},
		{"test-count: 0", "test-count must be at least 1, got 0"},
		{"matrix: {nemesis: [kill-leader, '']}", "matrix.nemesis (line 1) has no value"},
		{"flags: {nemesis: ''}", "flags.nemesis (line 1) has no value"},
		{"include: [{nemesis: [kill-leader, '']}]", "include[0].nemesis (line 1): want a value"},
		{"matrix: {acks: [all, 1]}\nexclude: [{nemesis: none}]", "exclude[0] names nemesis, which is no axis"},
		{"matrix: {acks: [all, 1]}\nexclude: [{}]", "exclude[0] is empty"},
		{"include: [{}]", "include[0] is empty"},
		{"flags: {'a b': 1}", `"a b" is no flag name`},
	} {
		_, err := ParseMatrix(strings.NewReader(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src   string
		extra []Flag
		want  string
	}{
		{"matrix: {acks: [all, 1]}\nexclude: [{acks: 0}]", nil, "exclude[0] (acks=0) matches no cell"},
		{"matrix: {acks: [all]}\nexclude: [{acks: all}]", nil, "leaves out every cell"},
		{"flags: {acks: all}\nmatrix: {acks: [all, 1]}", nil, "--acks is set both in the matrix's flags and in cell acks=all"},
		{"flags: {acks: all}", []Flag{{"acks", "1"}}, "--acks is set both in the matrix's flags and in the command line"},
		{"matrix: {acks: [all, 1]}", []Flag{{"acks", "1"}}, "--acks is set both in the command line and in cell acks=all"},
		{"matrix: {acks: [1]}\ninclude: [{acks: 1}]", nil, "cells 1 and 2 are the same (acks=1)"},
	} {
		m, err := ParseMatrix(strings.NewReader(tc.src))
		if err == nil {
			_, err = m.Cells(tc.extra)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %v: got %v, want an error containing %q", tc.src, tc.extra, err, tc.want)
		}
	}
}

func TestMatrixReadsJSON(t *testing.T) {
	cells := mustCells(t, `{"flags": {"brokers": 3}, "matrix": {"acks": ["all", "1"]}}`)
	if len(cells) != 2 || cells[1].Name != "acks=1" {
		t.Fatalf("cells: %+v", cells)
	}
}

// Two shards together run each run of the sweep exactly once, with the unsharded sweep's seeds.
func TestShardsCoverThePlanExactlyOnce(t *testing.T) {
	cells := mustCells(t, exampleMatrix)
	whole := Plan(cells, 3, 42, Shard{1, 1})
	if len(whole) != 3*len(cells) {
		t.Fatalf("%d runs, want %d", len(whole), 3*len(cells))
	}
	for _, n := range []int{2, 3, 5, 30} {
		seen := map[int]Run{}
		for i := 1; i <= n; i++ {
			for _, r := range Plan(cells, 3, 42, Shard{i, n}) {
				if prev, dup := seen[r.Index]; dup {
					t.Fatalf("%d shards: run %d in two shards (%v, %v)", n, r.Index, prev, r)
				}
				seen[r.Index] = r
			}
		}
		if len(seen) != len(whole) {
			t.Fatalf("%d shards ran %d runs, want %d", n, len(seen), len(whole))
		}
		for _, r := range whole {
			got := seen[r.Index]
			if got.Seed != r.Seed || got.Cell.Name != r.Cell.Name || got.Repeat != r.Repeat {
				t.Fatalf("%d shards: run %d is %+v, unsharded %+v", n, r.Index, got, r)
			}
		}
	}
}

func TestRunSeeds(t *testing.T) {
	cells := mustCells(t, exampleMatrix)
	seeds := map[int64]bool{}
	for _, r := range Plan(cells, 3, 42, Shard{1, 1}) {
		if r.Seed < 1 || r.Seed > 999_999_999 || seeds[r.Seed] {
			t.Fatalf("seed %d out of range or repeated", r.Seed)
		}
		seeds[r.Seed] = true
	}
	// The seed follows the cell, not its place in the matrix.
	reordered := mustCells(t, strings.Replace(exampleMatrix, "acks: [all, 1]", "acks: [1, all]", 1))
	moved := slices.IndexFunc(reordered, func(c Cell) bool { return c.Name == cells[0].Name })
	if moved <= 0 {
		t.Fatalf("reordering the axis did not move %s", cells[0].Name)
	}
	if a, b := RunSeed(42, cells[0], 1), RunSeed(42, reordered[moved], 1); a != b {
		t.Fatalf("%s: seed %d, moved to cell %d: %d", cells[0].Name, a, moved+1, b)
	}
	if RunSeed(42, cells[0], 1) == RunSeed(43, cells[0], 1) {
		t.Fatal("the sweep's seed does not change the runs'")
	}
	fixed := mustCells(t, "matrix: {seed: [7, 8]}")
	if RunSeed(42, fixed[1], 2) != 8 {
		t.Fatal("a cell's own --seed is not its runs' seed")
	}
}

func TestParseShard(t *testing.T) {
	for _, ok := range []string{"1/1", "2/4", "4/4"} {
		if _, err := ParseShard(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0/2", "3/2", "1", "a/b", "1/0", "-1/2", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestExecuteStopsOnFailAndRanksVerdicts(t *testing.T) {
	cells := mustCells(t, "matrix: {acks: [all, 1, 0]}")
	runs := Plan(cells, 1, 1, Shard{1, 1})
	verdicts := []Verdict{Valid, Invalid, Valid}
	clock := time.Unix(0, 0)
	cfg := Config{Runs: runs, Total: len(runs), Now: func() time.Time { clock = clock.Add(time.Minute); return clock },
		Start: func(_ context.Context, r Run) Outcome {
			return Outcome{Dir: r.Name(), Verdict: verdicts[r.Index-1]}
		}}
	var progress strings.Builder
	cfg.Progress = &progress
	all := Execute(context.Background(), cfg)
	if len(all) != 3 || Worst(all, 3) != Invalid {
		t.Fatalf("%d outcomes, worst %s", len(all), Worst(all, 3))
	}
	if !strings.Contains(progress.String(), "about 2m0s left") {
		t.Fatalf("no time left from the runs so far:\n%s", progress.String())
	}
	cfg.StopOnFail = true
	stopped := Execute(context.Background(), cfg)
	if len(stopped) != 2 || Worst(stopped, 3) != Invalid {
		t.Fatalf("--stop-on-fail: %d outcomes", len(stopped))
	}
	if w := Worst(stopped[:1], 3); w != Unknown {
		t.Fatalf("a sweep cut short with valid runs is %s, want unknown", w)
	}
	for _, tc := range []struct {
		vs   []Verdict
		want Verdict
	}{{[]Verdict{Valid, Valid}, Valid}, {[]Verdict{Unknown, Valid}, Unknown}, {[]Verdict{Failed, Unknown}, Failed}, {[]Verdict{Failed, Invalid}, Invalid}} {
		var os []Outcome
		for _, v := range tc.vs {
			os = append(os, Outcome{Verdict: v})
		}
		if got := Worst(os, len(os)); got != tc.want {
			t.Errorf("%v: worst %s, want %s", tc.vs, got, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Execute(ctx, cfg); len(got) != 0 {
		t.Fatalf("a cancelled sweep started %d runs", len(got))
	}
}

func TestSummary(t *testing.T) {
	cells := mustCells(t, "matrix: {acks: [all, 1]}")
	runs := Plan(cells, 1, 1, Shard{1, 1})
	var b strings.Builder
	out := []Outcome{{Run: runs[0], Dir: "/r/a", Verdict: Valid}, {Run: runs[1], Dir: "/r/b", Verdict: Invalid, Detail: "lost-write 3\nmore"}}
	if err := WriteSummary(&b, out, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"acks=1", "invalid", "lost-write 3", "sweep verdict: invalid (1 of 3 runs not started)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "more") {
		t.Errorf("a detail's second line is in the table:\n%s", b.String())
	}
}

func TestCoverage(t *testing.T) {
	cells := mustCells(t, "matrix: {acks: [all, 1, 0]}")
	whole := Plan(cells, 2, 5, Shard{1, 1})
	plan := PlanFingerprint(whole)
	record := func(i, n int) Record {
		r := Record{ID: "s", Seed: 5, Shard: Shard{i, n}.String(), ShardIndex: i, ShardCount: n, TotalRuns: len(whole), Plan: plan}
		for _, run := range Plan(cells, 2, 5, Shard{i, n}) {
			r.Runs = append(r.Runs, RecordRun{Index: run.Index, Cell: run.Cell.Name, Repeat: run.Repeat, Seed: run.Seed, Dir: run.Name(), Verdict: "valid"})
		}
		return r
	}
	all := func(string) bool { return true }
	if p := Coverage([]Record{record(1, 3), record(2, 3), record(3, 3)}, all); len(p) != 0 {
		t.Fatalf("three shards of three: %v", p)
	}
	if p := Coverage([]Record{record(1, 1)}, all); len(p) != 0 {
		t.Fatalf("an unsharded sweep: %v", p)
	}
	for _, tc := range []struct {
		name    string
		records []Record
		have    func(string) bool
		want    string
	}{
		{"a shard missing", []Record{record(1, 3), record(3, 3)}, all, "shards missing: 2/3"},
		{"a shard twice", []Record{record(1, 2), record(1, 2), record(2, 2)}, all, "shard 1/2 is there 2 times"},
		{"another plan", []Record{record(1, 2), func() Record { r := record(2, 2); r.Plan = "x"; return r }()}, all, "are not of one plan"},
		{"another seed", []Record{record(1, 2), func() Record { r := record(2, 2); r.Seed = 6; return r }()}, all, "are not of one plan"},
		{"a run directory lost", []Record{record(1, 1)}, func(dir string) bool { return dir != whole[2].Name() }, "run 3 (acks=0) ran but its directory"},
		{"stopped early", []Record{func() Record { r := record(1, 1); r.Runs[5].Verdict = NotStarted; return r }()}, all, "1 runs not started (the sweep stopped early): 6"},
		{"a run in no record", []Record{func() Record { r := record(1, 1); r.Runs = r.Runs[:4]; return r }()}, all, "2 runs in no shard's record: 5, 6"},
	} {
		p := Coverage(tc.records, tc.have)
		if !strings.Contains(strings.Join(p, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", tc.name, p, tc.want)
		}
	}
	if PlanFingerprint(whole) == PlanFingerprint(Plan(cells, 2, 6, Shard{1, 1})) || PlanFingerprint(whole) == PlanFingerprint(Plan(cells, 1, 5, Shard{1, 1})) {
		t.Error("the plan's fingerprint ignores the seed or the test count")
	}
}
