package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/sweep"
)

// runOverhead is a run's time beyond its warm-up and fault phase (cluster start, recovery, drain,
// check, report), for the sweep's first estimate of the time left.
const runOverhead = 90 * time.Second

func executeSweep(ctx context.Context, o *sweepFlags, p *sweepPlan, stdout, stderr io.Writer) int {
	runOut, runErr := io.Discard, io.Discard
	if o.verbose {
		runOut, runErr = stderr, stderr
	}
	first := p.specs[p.runs[0].Index]
	cfg := sweep.Config{
		Runs: p.runs, Total: p.total, StopOnFail: o.stopOnFail, Progress: stderr,
		Estimate: first.Warmup + first.TimeLimit + runOverhead,
		Start: func(ctx context.Context, r sweep.Run) sweep.Outcome {
			spec := p.specs[r.Index]
			if o.verbose {
				spec.Progress = stderr
			}
			code, res, err := o.runOne(ctx, spec, runOut, runErr)
			out := outcomeOf(spec.OutDir, code, res, err)
			if spec.KeepCluster && out.Verdict != sweep.Valid {
				fmt.Fprintf(stderr, "sweep: --keep-cluster: the run's cluster may be left up: %s says how to remove it\n", filepath.Join(spec.OutDir, "run.log"))
			}
			return out
		},
	}
	outcomes := sweep.Execute(ctx, cfg)
	worst := sweep.Worst(outcomes, len(p.runs))
	files, err := writeSweepFiles(p, outcomes)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque sweep: %v\n", err)
		worst = max(worst, sweep.Failed)
	}
	if err := sweep.WriteSummary(stdout, outcomes, len(p.runs)); err != nil {
		fmt.Fprintf(stderr, "kafkaesque sweep: %v\n", err)
	}
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	return sweepExit(worst)
}

// sweepExit is the exit status of a sweep's verdict.
func sweepExit(v sweep.Verdict) int {
	switch v {
	case sweep.Valid:
		return exitValid
	case sweep.Invalid:
		return exitAnomalies
	case sweep.Unknown:
		return exitUnknown
	}
	return exitError
}

// outcomeOf turns how runSpec ended into the sweep's outcome of the run.
func outcomeOf(dir string, code int, res *harness.RunResult, err error) sweep.Outcome {
	o := sweep.Outcome{Dir: dir}
	switch {
	case err != nil:
		o.Verdict, o.Detail = sweep.Failed, err.Error()
		return o
	case code == exitValid:
		o.Verdict = sweep.Valid
	case code == exitAnomalies:
		o.Verdict = sweep.Invalid
	default:
		o.Verdict = sweep.Unknown
	}
	if res != nil && res.Result != nil {
		o.Detail = anomalyDetail(res.Result)
	}
	return o
}

// anomalyDetail counts a result's anomalies by type ("lost-write 45, duplicate 2"), allowed ones
// marked, or says why it is unknown.
func anomalyDetail(res *checker.Result) string {
	var parts []string
	types := slices.Clone(checker.AnomalyTypes)
	for t := range res.Anomalies {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	for _, t := range types {
		if n := len(res.Anomalies[t]); n > 0 {
			part := fmt.Sprintf("%s %d", t, n)
			if slices.Contains(res.Allowed, t) {
				part += " (allowed)"
			}
			parts = append(parts, part)
		}
	}
	if res.Valid == checker.Unknown && len(res.Incomplete) > 0 {
		parts = append(parts, "unknown: "+res.Incomplete[0])
	}
	return strings.Join(parts, ", ")
}

// writeSweepFiles writes the results index and, in OUT/sweeps/ID/, sweep.json, the summary
// table and the JUnit file of the shard's runs (a shard's files name it, so merged shards'
// files do not clash). It returns the files' paths.
func writeSweepFiles(p *sweepPlan, outcomes []sweep.Outcome) ([]string, error) {
	dir := filepath.Join(p.results, "sweeps", p.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep directory: %w", err)
	}
	entries, err := report.WriteIndexEntries(p.results)
	if err != nil {
		return nil, err
	}
	rec := sweep.Record{ID: p.id, Seed: p.seed, Shard: p.shard.String(), ShardIndex: p.shard.I, ShardCount: p.shard.N,
		TotalRuns: p.total, Plan: p.fingerprint, Matrix: p.matrix.Name, Verdict: sweep.Worst(outcomes, len(p.runs)).String()}
	ran := map[int]sweep.Outcome{}
	for _, o := range outcomes {
		ran[o.Run.Index] = o
	}
	names := map[string]bool{}
	for _, r := range p.runs {
		spec := p.specs[r.Index]
		rr := sweep.RecordRun{Index: r.Index, Cell: r.Cell.Name, Repeat: r.Repeat, Seed: r.Seed,
			Dir: filepath.Base(spec.OutDir), Verdict: sweep.NotStarted, Command: spec.Command}
		if o, ok := ran[r.Index]; ok {
			rr.Verdict, rr.Detail, rr.Seconds = o.Verdict.String(), o.Detail, o.Elapsed.Seconds()
			names[rr.Dir] = true
		}
		rec.Runs = append(rec.Runs, rr)
	}
	var files []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return os.WriteFile(path, data, 0o644)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := write(sweepFileName("sweep", p.shard, ".json"), append(data, '\n')); err != nil {
		return nil, err
	}
	var table bytes.Buffer
	if err := sweep.WriteSummary(&table, outcomes, len(p.runs)); err != nil {
		return nil, err
	}
	if err := write(sweepFileName("summary", p.shard, ".txt"), table.Bytes()); err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(entries, func(e report.IndexEntry) bool { return !names[e.Run] })
	var junit bytes.Buffer
	// A run that stopped before its config.json has no index entry: it still gets a test case.
	for _, o := range outcomes {
		if !slices.ContainsFunc(entries, func(e report.IndexEntry) bool { return e.Run == filepath.Base(o.Dir) }) {
			entries = append(entries, unindexedRun(p.id, filepath.Base(o.Dir), o.Run.Cell.Name, o.Run.Repeat, o.Run.Seed, o.Detail))
		}
	}
	if err := report.WriteRunsJUnit(&junit, "kafkaesque sweep "+p.id+shardSuffix(p.shard), entries); err != nil {
		return nil, err
	}
	if err := write(sweepFileName("junit", p.shard, ".xml"), junit.Bytes()); err != nil {
		return nil, err
	}
	return files, nil
}

// sweepFileName names one of a sweep's files in OUT/sweeps/ID/: a shard's name its shard, so
// merged shards' files never clash.
func sweepFileName(base string, shard sweep.Shard, ext string) string {
	return base + shardSuffix(shard) + ext
}

func shardSuffix(shard sweep.Shard) string {
	if shard.Whole() {
		return ""
	}
	return fmt.Sprintf("-shard-%d-of-%d", shard.I, shard.N)
}
