package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/report/rundir"
	"github.com/spf13/cobra"
)

func newReportCmd() *cobra.Command {
	var (
		allow string
		limit time.Duration
	)
	cmd := &cobra.Command{
		Use:   "report [flags] RUN_DIR | RESULTS_DIR",
		Short: "write a run directory's HTML report (checking it first if needed)",
		Long: "Writes RUN_DIR/index.html and junit.xml, and the results index of RUN_DIR's parent (unless\n" +
			"the parent is itself a run directory or holds an index.html that is not a results index).\n" +
			"Nothing else outside RUN_DIR is written. Given a directory of run directories, writes its index.\n" +
			"A directory with history.jsonl but no results.json is checked first, with the run's own\n" +
			"options from its config.json (as `kafkaesque check RUN_DIR`); --allow adds to them.",
		Args: exactlyOne("run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			allowed, err := parseAllow(allow)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "kafkaesque report: --allow: %v\n", err)
				return status(exitError)
			}
			if err := reportRunDir(cmd.Context(), args[0], allowed, limit, cmd.OutOrStdout()); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "kafkaesque report: %v\n", err)
				return status(exitError)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&allow, "allow", "", "when checking (no results.json yet): comma-separated anomaly types that do not fail the verdict, added to the run's own")
	f.DurationVar(&limit, "time-limit", 60*time.Second, "when checking a directory without config.json: linearizability search limit (0 = none)")
	return cmd
}

// reportRunDir writes dir's report, checking it first if it has no results yet (with the run's
// own options from config.json plus the allow flags, or the flags alone for a bare history), and
// then the results index of the directory that holds it. Nothing else outside dir is written:
// an index.html there that is not a results index, or a parent that is itself a run directory,
// is left alone. A directory of run directories gets only its index.
func reportRunDir(ctx context.Context, dir string, allow map[checker.AnomalyType]bool, limit time.Duration, stdout io.Writer) error {
	dir, err := filepath.Abs(dir) // so `report .` has a parent
	if err != nil {
		return err
	}
	if !isRunDir(dir) {
		return reportResultsDir(dir, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ResultsFile)); errors.Is(err, os.ErrNotExist) {
		opts, found, err := harness.RunCheckOptions(dir)
		if err != nil {
			return err
		}
		if !found {
			opts.LinearizabilityTimeLimit = limit
		}
		fmt.Fprintf(stdout, "%s has no %s: checking %s\n", dir, rundir.ResultsFile, rundir.HistoryFile)
		res, err := harness.CheckRunDir(ctx, dir, opts.Merge(allow))
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return fmt.Errorf("encode results: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := report.Write(ctx, dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, rundir.ReportFile))
	parent := filepath.Dir(dir)
	if parent == dir {
		return nil
	}
	switch err := report.WriteIndex(parent); {
	case errors.Is(err, report.ErrNotResultsDir):
		fmt.Fprintf(stdout, "no results index written: %v\n", err)
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(parent, rundir.ReportFile))
	}
	return nil
}

// isRunDir reports whether dir holds a run's files.
func isRunDir(dir string) bool {
	for _, f := range []string{rundir.HistoryFile, rundir.ResultsFile, rundir.ConfigFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// reportResultsDir writes the results index of a directory of run directories.
func reportResultsDir(dir string, stdout io.Writer) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	runs := 0
	for _, e := range entries {
		if e.IsDir() && isRunDir(filepath.Join(dir, e.Name())) {
			runs++
		}
	}
	if runs == 0 {
		return fmt.Errorf("%s is neither a run directory (no %s or %s) nor a directory of run directories", dir, rundir.HistoryFile, rundir.ResultsFile)
	}
	if err := report.WriteIndex(dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d runs)\n", filepath.Join(dir, rundir.ReportFile), runs)
	return nil
}
