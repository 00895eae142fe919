package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/kafkaesque/kafkaesque/report"
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
			"Merging the same directory twice changes nothing.\n\n" +
			"Exit status: 0 merged, 2 bad input or error.",
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

func runMerge(out string, srcs []string, stdout, stderr io.Writer) int {
	if out == "" {
		fmt.Fprintln(stderr, "kafkaesque merge: --out is required")
		return exitError
	}
	merged, err := report.MergeResults(out, srcs)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque merge: %v\n", err)
		return exitError
	}
	entries, err := report.BuildIndex(out)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque merge: %v\n", err)
		return exitError
	}
	files, err := writeSweepJUnits(out, entries)
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
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(out, "index.json"))
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	return exitValid
}

// writeSweepJUnits writes sweeps/ID/junit.xml for each sweep among the entries, with all its runs
// in the results directory: after a merge, every shard's.
func writeSweepJUnits(results string, entries []report.IndexEntry) ([]string, error) {
	bySweep := map[string][]report.IndexEntry{}
	for _, e := range entries {
		if e.Sweep != nil {
			bySweep[e.Sweep.ID] = append(bySweep[e.Sweep.ID], e)
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
		path := filepath.Join(dir, "junit.xml")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}
