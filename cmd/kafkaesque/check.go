package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
)

// Exit statuses of check.
const (
	exitValid     = 0
	exitAnomalies = 1
	exitError     = 2
	exitUnknown   = 3
)

// examplesPerType bounds the anomalies printed per type in the summary.
const examplesPerType = 5

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	allow := fs.String("allow", "", "comma-separated anomaly types to report without failing the verdict")
	limit := fs.Duration("time-limit", 60*time.Second, "time limit for the linearizability search (0 = none)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: kafkaesque check [--json] [--allow TYPE[,TYPE...]] [--time-limit D] HISTORY.jsonl")
		fmt.Fprintln(fs.Output(), "exit status: 0 valid, 1 anomalies, 2 bad input or error, 3 unknown (time limit hit)")
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
		fmt.Fprintf(stderr, "kafkaesque check: want exactly one history file, got %d arguments\n", len(positional))
		fs.Usage()
		return exitError
	}
	allowed, err := parseAllow(*allow)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque check: --allow: %v\n", err)
		return exitError
	}
	opts := checker.Options{Allow: allowed, LinearizabilityTimeLimit: *limit}
	path := positional[0]
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
	if *asJSON {
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
	if len(res.Faults) > 0 {
		fmt.Fprintf(w, "  faults (seconds from injection until: new controller / new leader / new coordinator / sends ok):\n")
		for _, f := range res.Faults {
			fmt.Fprintf(w, "    %-20s %-22s %s / %s / %s / %s%s\n", f.Fault, strings.Join(f.Nodes, ",")+" "+f.Key,
				secs(f.NewControllerAfter), secs(f.NewLeaderAfter), secs(f.NewCoordinatorAfter), secs(f.SendsOKAfter), errNote(f.Error))
		}
	}
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
