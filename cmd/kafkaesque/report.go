package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	allow := fs.String("allow", "", "when checking a bare history: comma-separated anomaly types that do not fail the verdict")
	limit := fs.Duration("time-limit", 60*time.Second, "when checking a bare history: linearizability search limit (0 = none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kafkaesque report [--allow TYPE[,TYPE...]] [--time-limit D] RUN_DIR")
		fmt.Fprintln(fs.Output(), "Writes RUN_DIR/index.html and junit.xml, and the results index of RUN_DIR's parent.")
		fmt.Fprintln(fs.Output(), "A directory with history.jsonl but no results.json is checked first.")
		fs.PrintDefaults()
	}
	positional, help, err := parseInterspersed(fs, args)
	if help {
		return exitValid
	}
	if err != nil {
		return exitError // the flag package already named the problem
	}
	if len(positional) != 1 {
		fmt.Fprintf(stderr, "kafkaesque report: want exactly one run directory, got %d arguments\n", len(positional))
		fs.Usage()
		return exitError
	}
	dir := positional[0]
	allowed, err := parseAllow(*allow)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque report: --allow: %v\n", err)
		return exitError
	}
	if err := reportRunDir(ctx, dir, allowed, *limit, stdout); err != nil {
		fmt.Fprintf(stderr, "kafkaesque report: %v\n", err)
		return exitError
	}
	return exitValid
}

// reportRunDir checks the directory if it has no results yet, then writes its report and the
// index of its parent directory.
func reportRunDir(ctx context.Context, dir string, allow map[checker.AnomalyType]bool, limit time.Duration, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, report.ResultsFile)); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "%s has no %s: checking %s\n", dir, report.ResultsFile, report.HistoryFile)
		res, err := harness.CheckRunDir(ctx, dir, allow, false, limit)
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return fmt.Errorf("encode results: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, report.ResultsFile), append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := report.Write(ctx, dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := report.WriteIndex(parent); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(dir, report.ReportFile), filepath.Join(parent, report.ReportFile))
	return nil
}
