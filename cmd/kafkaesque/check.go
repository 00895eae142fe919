package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/checker/txn"
	"github.com/kafkaesque/kafkaesque/harness"
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
		Use:   "check [flags] HISTORY.jsonl | RUN_DIR | -",
		Short: "check a history file, a run directory or standard input for anomalies",
		Long: "Checks a history for anomalies and prints the verdict.\n\n" +
			"A run directory (RUN_DIR, or RUN_DIR/history.jsonl with config.json beside it) is checked as the\n" +
			"run checked it: with its election log and the options in its config.json (the anomaly types it\n" +
			"allows, unclean leader election, its linearizability time limit, the faults it planned), so the\n" +
			"verdict agrees with its results.json. There --allow adds to the run's allowed types (it never\n" +
			"removes one) and --time-limit, when given, replaces the run's. A bare history file is checked\n" +
			"with the flags alone, its transactions (if any) at read-committed, where Kafka's design allows\n" +
			"G0 cycles and int-send-skip. - reads a bare history from standard input.\n\n" +
			"Exit status: 0 valid, 1 anomalies, 2 bad input or error, 3 unknown (a time limit hit, a fault or\n" +
			"recovery that failed, nothing to judge).",
		Args: exactlyOne("history file, run directory or -"),
		RunE: func(cmd *cobra.Command, args []string) error {
			allowed, err := parseAllow(allow)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "kafkaesque check: --allow: %v\n", err)
				return status(exitError)
			}
			limitGiven := cmd.Flags().Changed("time-limit")
			in := checkInput{path: args[0], stdin: cmd.InOrStdin()}
			return status(runCheck(cmd.Context(), in, asJSON, allowed, limit, limitGiven, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	f.StringVar(&allow, "allow", "", "comma-separated anomaly types to report without failing the verdict (for a run directory: added to the run's own)")
	f.DurationVar(&limit, "time-limit", 60*time.Second, "time limit for the linearizability search (0 = none; for a run directory: the run's own unless given)")
	return cmd
}

// checkInput is what check reads: path, or stdin when path is "-".
type checkInput struct {
	path  string
	stdin io.Reader
}

// stdinName stands for standard input in check's messages and summary.
const stdinName = "standard input"

// runCheck checks a bare history file, a run directory or a bare history on standard input.
// limitGiven says --time-limit was given, so that it replaces a run directory's own limit.
func runCheck(ctx context.Context, in checkInput, asJSON bool, allow map[checker.AnomalyType]bool, limit time.Duration, limitGiven bool, stdout, stderr io.Writer) int {
	var (
		res      *checker.Result
		path     = in.path
		dir      string
		isRunDir bool
		err      error
	)
	if path != "-" {
		dir, isRunDir, err = runDirOf(path)
	}
	switch {
	case path == "-":
		path = stdinName
		// An empty file may be a run that recorded nothing (verdict unknown); nothing on
		// standard input is a mistake in the command line.
		history := bufio.NewReaderSize(in.stdin, 64<<10)
		if _, err := history.Peek(1); err == io.EOF {
			fmt.Fprintln(stderr, "kafkaesque check: standard input is empty: pipe a history into it, e.g. kafkaesque check - < history.jsonl")
			return exitError
		}
		res, err = checkBare(ctx, history, allow, limit)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %s: %v\n", path, err)
			return exitError
		}
	case err != nil:
		fmt.Fprintf(stderr, "kafkaesque check: %v\n", err)
		return exitError
	case isRunDir:
		opts, found, err := harness.RunCheckOptions(dir)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %v\n", err)
			return exitError
		}
		if !found || limitGiven {
			opts.LinearizabilityTimeLimit = limit
		}
		opts = opts.Merge(allow)
		if found {
			fmt.Fprintf(stderr, "kafkaesque check: %s: with the run's options from %s: %s\n", dir, harness.ConfigFile, describeOptions(opts))
		}
		res, err = harness.CheckRunDir(ctx, dir, opts)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %s: %v\n", path, err)
			return exitError
		}
	default:
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %v\n", err)
			return exitError
		}
		defer f.Close()
		res, err = checkBare(ctx, f, allow, limit)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque check: %s: %v\n", path, err)
			return exitError
		}
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

// checkBare checks a history that carries no options: its transactions, if any, are judged at
// read-committed, with what Kafka's design allows there (only transactions show those).
func checkBare(ctx context.Context, history io.Reader, allow map[checker.AnomalyType]bool, limit time.Duration) (*checker.Result, error) {
	bare := maps.Clone(allow)
	if bare == nil {
		bare = map[checker.AnomalyType]bool{}
	}
	for t := range txn.Allowed(txn.ReadCommitted) {
		bare[t] = true
	}
	// The history and consumer-group guarantees, in one pass (no election log here).
	return runcheck.Check(ctx, history, runcheck.Options{Options: checker.Options{Allow: bare, LinearizabilityTimeLimit: limit}})
}

// runDirOf says whether path names a run directory: a directory, or its history.jsonl with a
// config.json beside it.
func runDirOf(path string) (dir string, isRunDir bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false, err
	}
	if st.IsDir() {
		return path, true, nil
	}
	dir = filepath.Dir(path)
	if filepath.Base(path) != harness.HistoryFile {
		return "", false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, harness.ConfigFile)); err != nil {
		return "", false, nil
	}
	return dir, true, nil
}

// describeOptions says what a run directory is checked with, for the user.
func describeOptions(o harness.CheckOptions) string {
	allowed := make([]string, 0, len(o.Allow))
	for t := range o.Allow {
		allowed = append(allowed, string(t))
	}
	slices.Sort(allowed)
	if len(allowed) == 0 {
		allowed = []string{"none"}
	}
	return fmt.Sprintf("allowed %s; unclean leader election %v; linearizability limit %s; faults planned %d",
		strings.Join(allowed, ","), o.UncleanEnabled, o.LinearizabilityTimeLimit, len(o.PlannedFaults))
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
	// The distinct causes first: one truncation shows up as several anomaly types.
	if n := len(res.Causes); n > 0 {
		fmt.Fprintf(w, "  %d distinct cause(s) of failure:\n", n)
		for i, c := range res.Causes {
			if i == examplesPerType {
				fmt.Fprintf(w, "    ... %d more\n", n-i)
				break
			}
			fmt.Fprintf(w, "    %s\n", c.Summary)
		}
	}
	fmt.Fprintf(w, "  %d lines, %d keys, %d values; sends ok/fail/info %d/%d/%d, polls ok/fail/info %d/%d/%d, %d incomplete\n",
		s.Lines, s.Keys, s.Values, s.SendsOK, s.SendsFail, s.SendsInfo, s.PollsOK, s.PollsFail, s.PollsInfo, s.Incomplete)
	fmt.Fprintf(w, "  checked in %.2fs (linearizability %.2fs over %d ops in %d segments)\n",
		s.DurationSeconds, s.LinSeconds, s.LinOps, s.LinSegments)
	if t := res.Txn; t != nil {
		fmt.Fprintf(w, "  transactions: %d committed, %d aborted (%d on purpose), %d indeterminate, %d never completed; dependency graph %d transactions, %d edges, searched in %.2fs\n",
			t.Committed, t.Aborted, t.AbortedOnPurpose, t.Indeterminate, t.Incomplete, t.GraphNodes, t.GraphEdges, t.CycleSeconds)
	}
	if g := res.Group; g != nil {
		fmt.Fprintf(w, "  consumer group: %d members, %d generations, %d rebalances; commits ok/fail/info %d/%d/%d; %d of %d reads re-delivered; coordinator moved %d times %v\n",
			g.Members, g.Generations, g.Rebalances, g.CommitsOK, g.CommitsFail, g.CommitsInfo, g.Redelivered, g.Reads, g.CoordinatorMoves, g.Coordinators)
	}
	if len(res.Lag) > 0 {
		parts := make([]string, len(res.Lag))
		for i, l := range res.Lag {
			parts[i] = fmt.Sprintf("%s %.1fs", l.Key, l.WorstSeconds)
		}
		fmt.Fprintf(w, "  worst realtime lag (measured, not judged; from %s): %s\n", res.Lag[0].Source, strings.Join(parts, ", "))
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
	fmt.Fprintf(w, "  faults injected: %s\n", injectedSummary(runcheck.CountFaults(res.Faults)))
	if len(res.Faults) > 0 {
		fmt.Fprintf(w, "  faults (seconds from injection until: new controller / new leader / new coordinator / sends ok):\n")
		for _, f := range res.Faults {
			fmt.Fprintf(w, "    %-20s %-22s %s / %s / %s / %s%s\n", f.Fault, strings.Join(f.Nodes, ",")+" "+f.Key,
				secs(f.NewControllerAfter), secs(f.NewLeaderAfter), secs(f.NewCoordinatorAfter), secs(f.SendsOKAfter), errNote(f.Error))
			if f.PowerLoss {
				fmt.Fprintf(w, "      %s\n", powerNote(f))
			}
		}
	}
}

// powerNote says what a power fault dropped and the lost writes acknowledged before it, e.g.
// "un-fsynced data lost: kafka1 218177 B, kafka2 0 B; lost writes acknowledged before it: 12".
func powerNote(f checker.FaultImpact) string {
	var lost []string
	for _, l := range f.DataLost {
		lost = append(lost, fmt.Sprintf("%s %d B", l.Node, l.Bytes))
	}
	if len(lost) == 0 {
		lost = []string{"nothing recorded"}
	}
	writes := "-"
	if f.LostWritesBefore != nil {
		writes = fmt.Sprint(*f.LostWritesBefore)
	}
	return fmt.Sprintf("un-fsynced data lost: %s; lost writes acknowledged before it: %s", strings.Join(lost, ", "), writes)
}

// injectedSummary lists the faults injected by name, e.g. "kill-leader ×3 (1 failed)".
func injectedSummary(counts []runcheck.FaultCount) string {
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
