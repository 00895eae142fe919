package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kafkaesque/kafkaesque/harness"
)

// runSpec runs a checked spec and prints how it ended: the summary to stdout, or the error to
// stderr. Both also go to the end of the run's run.log, which the harness filled with the run's
// progress. It returns the exit status, and the result or the error the run stopped on.
func runSpec(ctx context.Context, spec harness.RunSpec, stdout, stderr io.Writer) (int, *harness.RunResult, error) {
	res, err := harness.RunChaos(ctx, spec)
	runLog, logErr := harness.AppendRunLog(spec.OutDir)
	if logErr == nil {
		defer runLog.Close()
		stdout, stderr = io.MultiWriter(stdout, runLog), io.MultiWriter(stderr, runLog)
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			fmt.Fprintf(stderr, "kafkaesque run: %v\n", cause)
		}
		fmt.Fprintf(stderr, "kafkaesque run: %v\n", err)
		if _, statErr := os.Stat(spec.OutDir); statErr == nil {
			fmt.Fprintf(stderr, "kafkaesque run: partial run directory kept: %s\n", spec.OutDir)
		}
		return exitError, nil, err
	}
	printSummary(stdout, res.Dir, res.Result)
	fmt.Fprintf(stdout, "run directory: %s\n", res.Dir)
	return exitCode(res.Result), res, nil
}
