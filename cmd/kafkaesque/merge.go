package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/sweep"
	"github.com/spf13/cobra"
)

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR RESULTS_DIR...",
		Short: "fold the results directories of several shards or machines into one, re-running nothing",
		Long: "Copies every run directory of each RESULTS_DIR (and their sweeps/ files) into --out, refusing two\n" +
			"different runs of the same name, then rebuilds --out's index.json, index.html and latest, and\n" +
			"writes, for each sweep among the runs, sweeps/ID/junit.xml with every run of that sweep.\n" +
			"Merging the same directory twice changes nothing. Then it checks each sweep's shard records\n" +
			"(sweeps/ID/sweep*.json): every shard there once, of one plan, each run there exactly once.\n\n" +
			"Exit status: 0 merged and every sweep whole, 3 merged but a sweep is incomplete (it says\n" +
			"what is missing), 2 bad input or error.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("want at least one results directory to merge")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return status(runMerge(out, args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the results directory to merge into (created if missing; required)")
	return cmd
}

// mergedJUnit is the file merge writes for each sweep, replacing the copies the sources hold.
const mergedJUnit = "junit.xml"

func runMerge(out string, srcs []string, stdout, stderr io.Writer) int {
	if out == "" {
		fmt.Fprintln(stderr, "kafkaesque merge: --out is required")
		return exitError
	}
	derived := func(rel string) bool {
		dir, file := filepath.Split(rel)
		return file == mergedJUnit && filepath.Dir(filepath.Clean(dir)) == "sweeps"
	}
	merged, entries, err := report.MergeResultsDeriving(out, srcs, derived)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque merge: %v\n", err)
		return exitError
	}
	records, err := readSweepRecords(out)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque merge: %v\n", err)
		return exitError
	}
	files, err := writeSweepJUnits(out, entries, records)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque merge: %v\n", err)
		return exitError
	}
	counts := map[string]int{}
	for _, e := range entries {
		counts[e.Verdict]++
	}
	fmt.Fprintf(stdout, "merged %d run directories into %s: it holds %d runs (", len(merged), out, len(entries))
	for i, v := range []string{report.VerdictValid, report.VerdictInvalid, report.VerdictUnknown, report.VerdictNotChecked} {
		if i > 0 {
			fmt.Fprint(stdout, ", ")
		}
		fmt.Fprintf(stdout, "%d %s", counts[v], v)
	}
	fmt.Fprintln(stdout, ")")
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(out, report.IndexJSONFile))
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	code := exitValid
	for _, id := range slices.Sorted(maps.Keys(records)) {
		problems := sweep.Coverage(records[id], func(dir string) bool { return exists(filepath.Join(out, dir)) })
		for _, p := range problems {
			fmt.Fprintf(stderr, "kafkaesque merge: sweep %s is incomplete: %s\n", id, p)
			code = exitUnknown
		}
	}
	return code
}

// readSweepRecords reads every sweeps/ID/sweep*.json of a results directory, by sweep id.
func readSweepRecords(results string) (map[string][]sweep.Record, error) {
	paths, err := filepath.Glob(filepath.Join(results, "sweeps", "*", "sweep*.json"))
	if err != nil {
		return nil, err
	}
	records := map[string][]sweep.Record{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var r sweep.Record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if r.ID != filepath.Base(filepath.Dir(path)) {
			return nil, fmt.Errorf("%s: the record of sweep %q is in another sweep's directory", path, r.ID)
		}
		records[r.ID] = append(records[r.ID], r)
	}
	return records, nil
}

// writeSweepJUnits writes sweeps/ID/junit.xml for each sweep among the entries and records, with
// all its runs in the results directory: after a merge, every shard's. A run the records name
// that has no run directory (not started, or lost) is a test case in error.
func writeSweepJUnits(results string, entries []report.IndexEntry, records map[string][]sweep.Record) ([]string, error) {
	bySweep := map[string][]report.IndexEntry{}
	for _, e := range entries {
		if e.Sweep != nil {
			bySweep[e.Sweep.ID] = append(bySweep[e.Sweep.ID], e)
		}
	}
	for id, recs := range records {
		for _, r := range recs {
			for _, run := range r.Runs {
				if slices.ContainsFunc(bySweep[id], func(e report.IndexEntry) bool { return e.Run == run.Dir }) {
					continue
				}
				why := "its run directory is missing"
				if run.Verdict == sweep.NotStarted {
					why = "the sweep stopped before it"
				}
				bySweep[id] = append(bySweep[id], unindexedRun(id, run.Dir, run.Cell, run.Repeat, run.Seed, why))
			}
		}
	}
	var files []string
	for _, id := range slices.Sorted(maps.Keys(bySweep)) {
		var buf bytes.Buffer
		if err := report.WriteRunsJUnit(&buf, "kafkaesque sweep "+id, bySweep[id]); err != nil {
			return nil, err
		}
		dir := filepath.Join(results, "sweeps", id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, mergedJUnit)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// unindexedRun is the JUnit entry of a sweep's run that has no index entry (it stopped before
// its config.json, or its directory is missing): why says what became of it.
func unindexedRun(sweepID, dir, cell string, repeat int, seed int64, why string) report.IndexEntry {
	return report.IndexEntry{Run: dir, Verdict: report.VerdictNotChecked, Seed: seed,
		Sweep: &report.IndexSweep{ID: sweepID, Cell: cell, Repeat: repeat}, Why: []string{why}}
}
