package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/spf13/cobra"
)

// examplesPerType bounds the anomalies printed per type in the summary.
const examplesPerType = 5

func newCheckCmd() *cobra.Command {
	var (
		asJSON bool
		allow  string
		limit  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "check [flags] HISTORY.jsonl",
		Short: "check a history file for anomalies",
		Long: "Checks a history file for anomalies and prints the verdict.\n\n" +
			"Exit status: 0 valid, 1 anomalies, 2 bad input or error, 3 unknown (time limit hit).",
		Args: exactlyOne("history file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return status(runCheck(cmd.Context(), args[0], asJSON, allow, limit, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	f.StringVar(&allow, "allow", "", "comma-separated anomaly types to report without failing the verdict")
	f.DurationVar(&limit, "time-limit", 60*time.Second, "time limit for the linearizability search (0 = none)")
	return cmd
}

func runCheck(ctx context.Context, path string, asJSON bool, allow string, limit time.Duration, stdout, stderr io.Writer) int {
	allowed, err := parseAllow(allow)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque check: --allow: %v\n", err)
		return exitError
	}
	opts := checker.Options{Allow: allowed, LinearizabilityTimeLimit: limit}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque check: %v\n", err)
		return exitError
	}
	defer f.Close()
	// The history and consumer-group guarantees, in one pass (no election log here).
	res, err := checker.CheckRun(ctx, f, checker.RunOptions{Options: opts})
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque check: %s: %v\n", path, err)
		return exitError
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "kafkaesque check: warning: %s: %s\n", path, w)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %v\n", err)
			return exitError
		}
	} else {
		printSummary(stdout, path, res)
	}
	return exitCode(res)
}

// exitCode maps a verdict to the exit status shared by check and run.
func exitCode(res *checker.Result) int {
	switch res.Valid {
	case checker.Valid:
		return exitValid
	case checker.Invalid:
		return exitAnomalies
	default:
		return exitUnknown
	}
}

func printSummary(w io.Writer, path string, res *checker.Result) {
	s := res.Stats
	fmt.Fprintf(w, "%s: %s\n", path, res.Valid)
	fmt.Fprintf(w, "  %d lines, %d keys, %d values; sends ok/fail/info %d/%d/%d, polls ok/fail/info %d/%d/%d, %d incomplete\n",
		s.Lines, s.Keys, s.Values, s.SendsOK, s.SendsFail, s.SendsInfo, s.PollsOK, s.PollsFail, s.PollsInfo, s.Incomplete)
	fmt.Fprintf(w, "  checked in %.2fs (linearizability %.2fs over %d ops in %d segments)\n",
		s.DurationSeconds, s.LinSeconds, s.LinOps, s.LinSegments)
	if g := res.Group; g != nil {
		fmt.Fprintf(w, "  consumer group: %d members, %d generations, %d rebalances; commits ok/fail/info %d/%d/%d; %d of %d reads re-delivered; coordinator moved %d times %v\n",
			g.Members, g.Generations, g.Rebalances, g.CommitsOK, g.CommitsFail, g.CommitsInfo, g.Redelivered, g.Reads, g.CoordinatorMoves, g.Coordinators)
	}
	allowed := map[checker.AnomalyType]bool{}
	for _, t := range res.Allowed {
		allowed[t] = true
	}
	for _, t := range checker.AnomalyTypes {
		list := res.Anomalies[t]
		if len(list) == 0 {
			continue
		}
		note := ""
		if allowed[t] {
			note = " (allowed)"
		}
		fmt.Fprintf(w, "  %s: %d%s\n", t, len(list), note)
		for i, a := range list {
			if i == examplesPerType {
				fmt.Fprintf(w, "    ... %d more\n", len(list)-i)
				break
			}
			if len(a.Ops) == 0 && len(a.Events) > 0 {
				fmt.Fprintf(w, "    %s election events %v: %s\n", a.Key, a.Events, a.Explanation)
				continue
			}
			fmt.Fprintf(w, "    %s ops %v: %s\n", a.Key, a.Ops, a.Explanation)
		}
	}
	for _, why := range res.Incomplete {
		fmt.Fprintf(w, "  unknown: %s\n", why)
	}
	fmt.Fprintf(w, "  faults injected: %s\n", injectedSummary(checker.CountFaults(res.Faults)))
	if len(res.Faults) > 0 {
		fmt.Fprintf(w, "  faults (seconds from injection until: new controller / new leader / new coordinator / sends ok):\n")
		for _, f := range res.Faults {
			fmt.Fprintf(w, "    %-20s %-22s %s / %s / %s / %s%s\n", f.Fault, strings.Join(f.Nodes, ",")+" "+f.Key,
				secs(f.NewControllerAfter), secs(f.NewLeaderAfter), secs(f.NewCoordinatorAfter), secs(f.SendsOKAfter), errNote(f.Error))
		}
	}
}

// injectedSummary lists the faults injected by name, e.g. "kill-leader ×3 (1 failed)".
func injectedSummary(counts []checker.FaultCount) string {
	if len(counts) == 0 {
		return "none"
	}
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

func secs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	return " (failed: " + e + ")"
}
