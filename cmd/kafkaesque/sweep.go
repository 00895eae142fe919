package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// sweepOwnFlags are run flags a sweep defines itself: its seed derives the runs', its --out is
// the results directory, and its --time-limit is every run's unless a cell sets one.
var sweepOwnFlags = []string{"seed", "out", "time-limit"}

type sweepFlags struct {
	run        runFlags // the shared run flags given on the command line
	matrix     string
	vary       []string
	testCount  int
	timeLimit  time.Duration
	stopOnFail bool
	out        string
	shard      string
	seed       int64
	id         string
	dryRun     bool
	versions   bool
	verbose    bool
	flags      *pflag.FlagSet
	// runFlagNames are the run flags the sweep takes as shared flags.
	runFlagNames map[string]bool
	runOne       runFunc
}

// runFunc runs one checked spec as runSpec does; tests replace it.
type runFunc func(ctx context.Context, spec harness.RunSpec, stdout, stderr io.Writer) (int, *harness.RunResult, error)

func newSweepCmd() *cobra.Command { return newSweepCmdWith(runSpec) }

func newSweepCmdWith(run runFunc) *cobra.Command {
	o := sweepFlags{runOne: run}
	cmd := &cobra.Command{
		Use:   "sweep [flags]",
		Short: "run a matrix of chaos runs (Kafka versions, faults, configurations, seeds), or one shard of it",
		Long: "Runs every cell of a matrix --test-count times, one ordinary run directory per run, in the\n" +
			"results directory --out. The matrix comes from --matrix FILE (YAML or JSON; see\n" +
			"examples/nightly.yaml and docs/sweeps.md), --vary axes and the run flags below, which every cell\n" +
			"shares (kafkaesque run --help explains them). A flag set in two places is an error.\n\n" +
			"Every run is checked before the first starts. Runs' seeds derive from --seed, each cell's name and\n" +
			"repeat, so --shard I/N on N machines with the same --seed and --id runs exactly the unsharded\n" +
			"sweep's runs; `kafkaesque merge` folds their results directories into one.\n\n" +
			"Writes OUT/index.json and OUT/index.html (every run in OUT), OUT/latest, and in OUT/sweeps/ID/ a\n" +
			"JUnit file (one test case per run), the summary table and sweep.json.\n\n" +
			"Exit status: the worst run's: 1 if a run found anomalies, else 2 if a run stopped on an error or the\n" +
			"input is bad, else 3 if a run's verdict was unknown or the sweep stopped early, else 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runSweep(cmd.Context(), &o, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	fs := cmd.Flags()
	o.flags = fs
	fs.StringVar(&o.matrix, "matrix", "", "the matrix file, YAML or JSON (examples/nightly.yaml)")
	fs.StringArrayVar(&o.vary, "vary", nil, "an axis of the matrix: FLAG=V1|V2|... (repeatable), e.g. --vary 'acks=1|all'")
	fs.IntVar(&o.testCount, "test-count", 0, "runs of each cell (default: the matrix's test-count, else 1)")
	fs.DurationVar(&o.timeLimit, "time-limit", 60*time.Second, "each run's fault phase, given: it replaces the matrix file's time-limit (a cell that sets one is then an error); not given: the file's, else this default")
	fs.BoolVar(&o.stopOnFail, "stop-on-fail", false, "stop after the first run that is not valid")
	fs.StringVar(&o.out, "out", "results", "the results directory the run directories go into")
	fs.StringVar(&o.shard, "shard", "", "run only the I-th of N shares of the sweep: I/N (every shard needs the same --seed and --id)")
	fs.Int64Var(&o.seed, "seed", 0, "the sweep's seed, from which every run's derives (0: pick one and print it)")
	fs.StringVar(&o.id, "id", "", "the sweep's id, naming its run directories (default: the UTC date and the seed, YYYYMMDD-seedS)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "check every run and print the plan; start nothing")
	fs.BoolVar(&o.versions, "list-kafka-versions", false, "print the Kafka versions the shard's runs use, one per line, and exit (to build their images first: images/build.sh)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print each run's progress and summary, not only the sweep's")
	all := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.run.register(all)
	o.runFlagNames = map[string]bool{}
	all.VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(sweepOwnFlags, f.Name) {
			fs.AddFlag(f)
			o.runFlagNames[f.Name] = true
		}
	})
	o.run.flags = fs
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) { printSweepHelp(c, o.runFlagNames) })
	return cmd
}

// printSweepHelp is the sweep's help: its own flags, then the run flags every cell shares.
func printSweepHelp(c *cobra.Command, runFlag map[string]bool) {
	own, shared := pflag.NewFlagSet("sweep", pflag.ContinueOnError), pflag.NewFlagSet("run", pflag.ContinueOnError)
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if runFlag[f.Name] {
			shared.AddFlag(f)
		} else {
			own.AddFlag(f)
		}
	})
	w := c.OutOrStdout()
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n\nFlags:\n%s\nRun flags, shared by every cell (a cell's own value for one is an error; kafkaesque run --help):\n%s",
		c.Long, c.UseLine(), own.FlagUsages(), shared.FlagUsages())
}

// sweepID is what a sweep's id may hold: it names directories.
var sweepID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// sweepPlan is a checked sweep: its runs and each one's spec.
type sweepPlan struct {
	id      string
	seed    int64
	shard   sweep.Shard
	total   int
	matrix  *sweep.Matrix
	runs    []sweep.Run
	specs   map[int]harness.RunSpec // by run index
	results string
	// fingerprint identifies the whole sweep's plan, every shard's runs.
	fingerprint string
}

func runSweep(ctx context.Context, o *sweepFlags, stdout, stderr io.Writer) int {
	p, err := o.plan(time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque sweep: %v\n", err)
		return exitError
	}
	if o.versions {
		printKafkaVersions(stdout, p.runs)
		return exitValid
	}
	fmt.Fprintf(stderr, "kafkaesque sweep: id %s, seed %d, shard %s: %d of the sweep's %d runs, into %s\n",
		p.id, p.seed, p.shard, len(p.runs), p.total, p.results)
	if o.dryRun {
		printPlan(stdout, p)
		return exitValid
	}
	if len(p.runs) == 0 { // more shards than runs: its record still tells merge it ran
		fmt.Fprintf(stdout, "shard %s of sweep %s has none of its %d runs: nothing to run\n", p.shard, p.id, p.total)
		files, err := writeSweepFiles(p, nil)
		if err != nil {
			fmt.Fprintf(stderr, "kafkaesque sweep: %v\n", err)
			return exitError
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "wrote %s\n", f)
		}
		return exitValid
	}
	return executeSweep(ctx, o, p, stdout, stderr)
}

// plan reads the matrix and flags and checks every run of the shard, starting nothing.
func (o *sweepFlags) plan(now time.Time) (*sweepPlan, error) {
	m := &sweep.Matrix{}
	if o.matrix != "" {
		f, err := os.Open(o.matrix)
		if err != nil {
			return nil, fmt.Errorf("--matrix: %w", err)
		}
		m, err = sweep.ParseMatrix(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--matrix %s: %w", o.matrix, err)
		}
	}
	for _, v := range o.vary {
		axis, err := parseVary(v)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(m.Axes, func(a sweep.Axis) bool { return a.Name == axis.Name }) {
			return nil, fmt.Errorf("--vary %s: the matrix already varies --%s", v, axis.Name)
		}
		m.Axes = append(m.Axes, axis)
	}
	extra := o.sharedFlags()
	// The command line's --time-limit and --test-count replace the matrix file's defaults; a
	// cell's own --time-limit is still an error to combine with them (Cells refuses it).
	if o.flags.Changed("time-limit") {
		extra = append(extra, sweep.Flag{Name: "time-limit", Value: o.timeLimit.String()})
	} else if m.TimeLimit > 0 {
		m.Flags = append(m.Flags, sweep.Flag{Name: "time-limit", Value: m.TimeLimit.String()})
	}
	testCount := max(m.TestCount, 1)
	if o.flags.Changed("test-count") {
		if o.testCount < 1 {
			return nil, fmt.Errorf("--test-count must be at least 1, got %d", o.testCount)
		}
		testCount = o.testCount
	}
	cells, err := m.Cells(extra)
	if err != nil {
		return nil, err
	}
	shard, err := sweep.ParseShard(o.shard)
	if err != nil {
		return nil, err
	}
	seed := o.seed
	if seed < 0 {
		return nil, fmt.Errorf("--seed must be positive (or 0: pick one), got %d", seed)
	}
	if !shard.Whole() && (seed == 0 || o.id == "") {
		return nil, errors.New("--shard needs --seed and --id, the same for every shard: they name and seed the runs of the one sweep the shards share")
	}
	if seed == 0 {
		seed = now.UnixNano()%1_000_000_000 + 1
	}
	id := o.id
	if id == "" {
		id = fmt.Sprintf("%s-seed%d", now.UTC().Format("20060102"), seed)
	} else if !sweepID.MatchString(id) {
		return nil, fmt.Errorf("--id %q: want letters, digits, '.', '_' or '-' (at most 64)", id)
	}
	p := &sweepPlan{id: id, seed: seed, shard: shard, matrix: m, results: o.out,
		total: testCount * len(cells), specs: map[int]harness.RunSpec{}}
	p.runs = sweep.Plan(cells, testCount, seed, shard)
	p.fingerprint = sweep.PlanFingerprint(sweep.Plan(cells, testCount, seed, sweep.Shard{I: 1, N: 1}))
	if o.versions { // before the specs: checking them needs the images
		return p, nil
	}
	if err := report.CheckResultsDir(o.out); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	if record := filepath.Join(o.out, "sweeps", id, sweepFileName("sweep", shard, ".json")); exists(record) {
		return nil, fmt.Errorf("%s exists: sweep %s ran already (choose another --id)", record, id)
	}
	var errs []error
	for _, r := range p.runs {
		dir := filepath.Join(o.out, id+"-"+r.Name())
		spec, err := cellSpec(r, dir)
		if err == nil && spec.KeepCluster && !o.stopOnFail {
			err = errors.New("--keep-cluster needs --stop-on-fail in a sweep: every failed run would leave its cluster up")
		}
		if err == nil {
			if exists(dir) {
				err = fmt.Errorf("%s exists: sweep %s ran already (choose another --id or --seed)", dir, id)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cell %d (%s): %w", r.Cell.Index, r.Cell.Name, err))
			if len(errs) == 5 {
				break
			}
			continue
		}
		spec.Sweep = &harness.SweepRun{ID: id, Cell: r.Cell.Name, Repeat: r.Repeat}
		p.specs[r.Index] = spec
	}
	if len(errs) > 0 {
		return nil, errors.Join(dedupe(errs)...)
	}
	return p, nil
}

// sharedFlags are the run flags given on the command line, which every cell shares.
func (o *sweepFlags) sharedFlags() []sweep.Flag {
	var flags []sweep.Flag
	o.flags.Visit(func(f *pflag.Flag) {
		switch {
		case !o.runFlagNames[f.Name]:
		case f.Name == "broker-config":
			for _, k := range slices.Sorted(maps.Keys(o.run.brokerConfig)) {
				flags = append(flags, sweep.Flag{Name: f.Name, Value: k + "=" + o.run.brokerConfig[k]})
			}
		default:
			flags = append(flags, sweep.Flag{Name: f.Name, Value: f.Value.String()})
		}
	})
	return flags
}

// cellSpec turns a run of the sweep into a run spec, through `kafkaesque run`'s own flags and
// checks, so a cell is exactly the run its flags make.
func cellSpec(r sweep.Run, dir string) (harness.RunSpec, error) {
	var o runFlags
	fs := pflag.NewFlagSet("cell", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs)
	var args []string
	keys := map[string]bool{}
	seeded := false
	given := map[string]int{}
	for _, f := range r.Cell.Flags {
		given[f.Name]++
		switch {
		case given[f.Name] > 1 && f.Name != "broker-config":
			return harness.RunSpec{}, fmt.Errorf("--%s is given %d times (only --broker-config may repeat)", f.Name, given[f.Name])
		case fs.Lookup(f.Name) == nil:
			return harness.RunSpec{}, fmt.Errorf("--%s is no flag of kafkaesque run", f.Name)
		case f.Name == "out":
			return harness.RunSpec{}, errors.New("--out is the sweep's (its results directory): a cell cannot set it")
		case f.Name == "seed":
			seeded = true
			if n, err := strconv.ParseInt(f.Value, 10, 64); err != nil || n < 1 || n != r.Seed {
				return harness.RunSpec{}, fmt.Errorf("--seed %s: a cell's seed must be a positive number", f.Value)
			}
		case f.Name == "broker-config":
			k, _, _ := strings.Cut(f.Value, "=")
			if keys[k] {
				return harness.RunSpec{}, fmt.Errorf("--broker-config %s is set twice", k)
			}
			keys[k] = true
		}
		args = append(args, "--"+f.Name+"="+f.Value)
	}
	if !seeded {
		args = append(args, fmt.Sprintf("--seed=%d", r.Seed))
	}
	args = append(args, "--out="+dir)
	if err := fs.Parse(args); err != nil {
		return harness.RunSpec{}, err
	}
	return o.spec()
}

// parseVary reads --vary FLAG=V1|V2.
func parseVary(s string) (sweep.Axis, error) {
	name, values, ok := strings.Cut(s, "=")
	name = strings.TrimPrefix(name, "--")
	if !ok || name == "" || values == "" {
		return sweep.Axis{}, fmt.Errorf("--vary %q: want FLAG=V1|V2|...", s)
	}
	axis := sweep.Axis{Name: name}
	for _, v := range strings.Split(values, "|") {
		if v == "" {
			return sweep.Axis{}, fmt.Errorf("--vary %q has an empty value (an empty --%s would be the run's default, not a value of the axis)", s, name)
		}
		if slices.ContainsFunc(axis.Values, func(have []string) bool { return have[0] == v }) {
			return sweep.Axis{}, fmt.Errorf("--vary %q lists %q twice", s, v)
		}
		axis.Values = append(axis.Values, []string{v})
	}
	return axis, nil
}

// dedupe drops repeated errors: every repeat of a bad cell says the same.
func dedupe(errs []error) []error {
	var out []error
	seen := map[string]bool{}
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

func printPlan(w io.Writer, p *sweepPlan) {
	for _, r := range p.runs {
		spec := p.specs[r.Index]
		fmt.Fprintf(w, "run %d of %d: cell %d (%s) repeat %d seed %d\n  %s\n  %s\n", r.Index, p.total, r.Cell.Index, r.Cell.Name, r.Repeat, r.Seed, spec.OutDir, spec.Command)
	}
}

// printKafkaVersions prints the Kafka versions the runs use, in first use's order.
func printKafkaVersions(w io.Writer, runs []sweep.Run) {
	var versions []string
	for _, r := range runs {
		v := cluster.DefaultKafkaVersion
		for _, f := range r.Cell.Flags {
			if f.Name == "kafka-version" {
				v = f.Value
			}
		}
		if !slices.Contains(versions, v) {
			versions = append(versions, v)
			fmt.Fprintln(w, v)
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
