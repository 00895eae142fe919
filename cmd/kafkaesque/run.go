package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nodeimage"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultFaults is the mix a plain `kafkaesque run` injects: every election Kafka has in ZooKeeper
// mode (controller, partition leader) by crash, pause and partition.
const defaultFaults = "kill-controller,kill-leader,pause-leader,isolate-leader,partition-majority"

// defaultTxnFaults are the txn workload's default: the default faults and its transaction
// coordinator's. pause-client is left to be asked for: on releases before transaction version 2
// it reproduces KAFKA-17754 (docs/track-record.md), a known bug, not a default finding.
const defaultTxnFaults = defaultFaults + ",kill-txn-coordinator,pause-txn-coordinator"

// runFlags are `kafkaesque run`'s flags.
type runFlags struct {
	workload               string
	kafkaVersion, mode     string
	controllers            int
	combined               bool
	brokers, zookeepers    int
	partitions, rf, minISR int
	acks                   string
	unclean                bool
	faults                 string
	timeLimit, hold, rest  time.Duration
	warmup                 time.Duration
	keepCluster            bool
	seed                   int64
	out                    string
	producers, consumers   int
	rate                   float64
	inFlight               int
	crashClients           time.Duration
	brokerConfig           keyValues
	lazyfs, lazyfsJournal  bool
	client                 clientFlags
	txn                    txnFlags
	flags                  *pflag.FlagSet // to tell the flags given from the defaults
}

func (o *runFlags) register(fs *pflag.FlagSet) {
	o.flags = fs
	o.brokerConfig = keyValues{}
	fs.StringVar(&o.workload, "workload", harness.WorkloadQueue, "workload: "+strings.Join(harness.WorkloadNames, ", ")+" (group: consumers in one consumer group; txn: transactions of sends and polls, franz-go)")
	fs.StringVar(&o.kafkaVersion, "kafka-version", cluster.DefaultKafkaVersion, "Apache Kafka release to run, 2.8.0 or later (its image: images/build.sh VERSION)")
	fs.StringVar(&o.mode, "mode", "", `metadata mode: zk or kraft (default: zk before Kafka 4.0, kraft from 4.0, which has only KRaft)`)
	fs.IntVar(&o.brokers, "brokers", 3, "number of Kafka brokers")
	fs.IntVar(&o.zookeepers, "zookeepers", 1, "number of ZooKeeper nodes, 1 or 3 (ZooKeeper mode)")
	fs.IntVar(&o.controllers, "controllers", 3, "number of KRaft controller voters, 1 to 5 (KRaft mode)")
	fs.BoolVar(&o.combined, "combined", false, "KRaft combined mode: the controllers run inside the first --controllers brokers (process.roles=broker,controller)")
	fs.IntVar(&o.partitions, "partitions", 3, "partitions of the workload's topic")
	fs.IntVar(&o.rf, "replication-factor", 3, "replication factor of the workload's topic")
	fs.StringVar(&o.acks, "acks", "all", "producer acks: 0, 1 or all")
	fs.IntVar(&o.minISR, "min-insync-replicas", 2, "min.insync.replicas of the brokers")
	fs.BoolVar(&o.unclean, "unclean-leader-election", false, "unclean.leader.election.enable")
	fs.StringVar(&o.faults, "nemesis", defaultFaults, "comma-separated fault names (see below), or none (--workload txn's default adds kill-txn-coordinator,pause-txn-coordinator)")
	fs.DurationVar(&o.timeLimit, "time-limit", 60*time.Second, "length of the fault phase")
	fs.DurationVar(&o.warmup, "warmup", 0, "how long the workload runs without faults before the fault phase, so the plots have a baseline (--time-limit follows it)")
	fs.BoolVar(&o.keepCluster, "keep-cluster", false, "after a failed run (an error, or a verdict that is not valid) leave the cluster's containers and network up for inspection, and print the docker command that removes them")
	fs.Int64Var(&o.seed, "seed", 0, "seed of the fault schedule and workload choices (0: pick one and print it)")
	fs.StringVar(&o.out, "out", "", "the run directory itself (default results/<run-id>/)")
	fs.IntVar(&o.producers, "producers", 3, "producer clients (at least 1; with --workload txn: transactional clients, each with its own consumer)")
	fs.IntVar(&o.consumers, "consumers", 2, "consumer clients (at least 1; with --workload group: members of the group)")
	fs.Float64Var(&o.rate, "rate", 0, "max sends per second per producer, its in-flight sends together (0: unlimited)")
	fs.IntVar(&o.inFlight, "in-flight", harness.DefaultInFlight, "sends each producer keeps outstanding, each its own process (franz-go batches them per partition; kafka-go sends one record per request)")
	fs.DurationVar(&o.hold, "hold", 0, fmt.Sprintf("how long each fault is held (0: a random length in %s-%s for each fault)", nemesis.DefaultHoldMin, nemesis.DefaultHoldMax))
	fs.DurationVar(&o.rest, "rest", 0, fmt.Sprintf("rest between faults (0: a random length in %s-%s after each fault)", nemesis.DefaultRestMin, nemesis.DefaultRestMax))
	fs.DurationVar(&o.crashClients, "crash-clients", 0, "mean interval between deliberate crashes of each queue consumer, which resumes as a new process with new connections (Jepsen's crash-client; 0: off)")
	o.client.register(fs)
	o.txn.register(fs)
	fs.Var(o.brokerConfig, "broker-config", "extra broker config key=value (repeatable; keys are checked against Kafka's before start, values after)")
	fs.BoolVar(&o.lazyfs, "lazyfs", false, "serve the brokers' and controllers' data through lazyfs without a power fault, to measure its cost (power-loss-* faults turn it on themselves; docs/lazyfs.md)")
	fs.BoolVar(&o.lazyfsJournal, "lazyfs-journal", false, "lazyfs's journal model for Kafka's data (any fsync also makes earlier directory entries durable, as ext4 and xfs do) instead of the strict one (only a directory's fsync does)")
}

func newRunCmd() *cobra.Command {
	var o runFlags
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "start a cluster, run a workload under faults, check it, write a run directory",
		Long: "Starts a Kafka cluster in Docker (ZooKeeper or KRaft mode), drives the workload while the nemesis\n" +
			"injects faults, heals, drains, checks, and writes the run directory.\n\n" +
			"Exit status: 0 valid, 1 anomalies found, 2 bad input or error, 3 unknown.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runRun(cmd.Context(), &o, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	o.register(cmd.Flags())
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		help(c, args)
		printFaults(c.OutOrStdout())
	})
	return cmd
}

// printFaults lists every fault --nemesis takes, for --help.
func printFaults(w io.Writer) {
	fmt.Fprintln(w, "\nFaults (--nemesis):")
	for _, f := range nemesis.All() {
		fmt.Fprintf(w, "  %-31s %s\n", f.Name(), f.Describe())
	}
	fmt.Fprintln(w, "  (power-loss-*: the nodes' data directories are served through lazyfs, so those containers get\n  /dev/fuse and CAP_SYS_ADMIN; docs/lazyfs.md)")
	fmt.Fprintln(w, "\nConsumer-group faults (--workload group only):")
	for _, f := range nemesis.GroupFaults() {
		fmt.Fprintf(w, "  %-31s %s\n", f.Name(), f.Describe())
	}
	fmt.Fprintln(w, "\nTransaction faults (--workload txn only):")
	for _, f := range nemesis.TxnFaults() {
		fmt.Fprintf(w, "  %-31s %s\n", f.Name(), f.Describe())
	}
}

func runRun(ctx context.Context, o *runFlags, stdout, stderr io.Writer) int {
	spec, err := o.spec()
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque run: %v\n", err)
		return exitError
	}
	spec.Progress = stderr
	fmt.Fprintf(stderr, "kafkaesque run: seed %d, run directory %s\n", spec.Seed, spec.OutDir)
	code, _, _ := runSpec(ctx, spec, stdout, stderr)
	return code
}

// spec turns the flags into a run spec, or says which flag is wrong. It starts nothing.
func (o *runFlags) spec() (harness.RunSpec, error) {
	acks, err := workloads.ParseAcks(o.acks)
	if err != nil {
		return harness.RunSpec{}, fmt.Errorf("--acks: %w", err)
	}
	if !slices.Contains(harness.WorkloadNames, o.workload) {
		return harness.RunSpec{}, fmt.Errorf("--workload: unknown workload %q (valid: %s)", o.workload, strings.Join(harness.WorkloadNames, ", "))
	}
	var faults []string
	names := o.faults
	if o.workload == harness.WorkloadTxn && !o.flags.Changed("nemesis") {
		names = defaultTxnFaults
	}
	if strings.TrimSpace(names) == "" {
		return harness.RunSpec{}, errors.New(`--nemesis is empty: give fault names, or "none" for a run without faults`)
	}
	if names != "none" {
		for _, f := range strings.Split(names, ",") {
			faults = append(faults, strings.TrimSpace(f))
		}
	}
	if _, err := nemesis.Lookup(faults); err != nil {
		return harness.RunSpec{}, fmt.Errorf("--nemesis: %w", err)
	}
	if o.workload != harness.WorkloadGroup {
		for _, f := range nemesis.GroupFaults() {
			if slices.Contains(faults, f.Name()) {
				return harness.RunSpec{}, fmt.Errorf("--nemesis: %s needs --workload group", f.Name())
			}
		}
	}
	if o.workload != harness.WorkloadTxn {
		for _, f := range nemesis.TxnFaults() {
			if slices.Contains(faults, f.Name()) {
				return harness.RunSpec{}, fmt.Errorf("--nemesis: %s needs --workload txn", f.Name())
			}
		}
	}
	if err := o.checkRanges(); err != nil {
		return harness.RunSpec{}, err
	}
	seed := o.seed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000_000
	}
	runID := fmt.Sprintf("%s-seed%d", time.Now().UTC().Format("20060102-150405"), seed)
	out := o.out
	if out == "" {
		out = filepath.Join("results", runID)
	}
	brokerConfig := maps.Clone(o.brokerConfig)
	brokerConfig["min.insync.replicas"] = strconv.Itoa(o.minISR)
	brokerConfig["unclean.leader.election.enable"] = strconv.FormatBool(o.unclean)
	cc, err := o.clusterConfig()
	if err != nil {
		return harness.RunSpec{}, err
	}
	cc.BrokerConfig = brokerConfig
	spec := harness.RunSpec{
		Cluster: cc,
		Workload: harness.WorkloadSpec{
			Name:       o.workload,
			Partitions: o.partitions, ReplicationFactor: o.rf, Acks: acks,
			Producers: o.producers, Consumers: o.consumers, Rate: o.rate, InFlight: o.inFlight,
			CrashInterval: o.crashClients,
		},
		Faults:      faults,
		Schedule:    scheduleOptions(o.hold, o.rest),
		TimeLimit:   o.timeLimit,
		Warmup:      o.warmup,
		KeepCluster: o.keepCluster,
		Seed:        seed,
		OutDir:      out,
		Command:     o.reproduce(seed, out),
	}
	if spec.Workload.Name == harness.WorkloadTxn && !o.flags.Changed("in-flight") {
		spec.Workload.InFlight = 0 // one transaction at a time; the spec refuses a set one
	}
	if spec.Workload.Name != harness.WorkloadTxn {
		if err := o.client.apply(&spec.Workload, o.flags); err != nil {
			return harness.RunSpec{}, err
		}
	}
	if err := o.txn.apply(&spec.Workload, o.client, o.flags); err != nil {
		return harness.RunSpec{}, err
	}
	// Everything else the harness checks before it starts anything (config keys, faults against
	// the cluster's shape, a schedule that plans no fault), so no container starts for bad input.
	if err := spec.Validate(); err != nil {
		if errors.Is(err, nemesis.ErrNoFaultPlanned) {
			err = fmt.Errorf("%w (lengthen --time-limit or shorten --hold)", err)
		}
		return harness.RunSpec{}, err
	}
	return spec, nil
}

// clusterConfig is the cluster's version, mode and shape. A flag of the other mode, given
// explicitly, is refused rather than ignored.
func (o *runFlags) clusterConfig() (cluster.Config, error) {
	cc := cluster.Config{KafkaVersion: o.kafkaVersion, Mode: cluster.Mode(o.mode), Brokers: o.brokers}
	if _, err := nodeimage.ParseKafkaVersion(o.kafkaVersion); err != nil {
		return cc, fmt.Errorf("--kafka-version: %w", err)
	}
	if o.mode != "" && cc.Mode != cluster.ModeZooKeeper && cc.Mode != cluster.ModeKRaft {
		return cc, fmt.Errorf("--mode: unknown mode %q (want zk or kraft)", o.mode)
	}
	resolved, err := cc.WithDefaults()
	if err != nil {
		return cc, fmt.Errorf("--kafka-version %s --mode %s: %w", o.kafkaVersion, o.mode, err)
	}
	cc.Mode = resolved.Mode
	// Checked with the faults, which may turn lazyfs on themselves.
	cc.Lazyfs = cluster.Lazyfs{Kafka: o.lazyfs, Journal: o.lazyfsJournal}
	if cc.Mode == cluster.ModeKRaft {
		if o.flags.Changed("zookeepers") {
			return cc, errors.New("--zookeepers: KRaft mode has no ZooKeeper nodes (use --controllers)")
		}
		cc.Controllers, cc.Combined = o.controllers, o.combined
		return cc, nil
	}
	for _, f := range []string{"controllers", "combined"} {
		if o.flags.Changed(f) {
			return cc, fmt.Errorf("--%s is a KRaft setting: add --mode kraft (ZooKeeper mode has --zookeepers)", f)
		}
	}
	cc.ZooKeepers = o.zookeepers
	return cc, nil
}

// checkRanges refuses counts, rates and durations out of range, naming the flag. Zero is
// refused unless its flag's help says what it means.
func (o *runFlags) checkRanges() error {
	var errs []error
	need := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	need(o.brokers >= 1 && o.brokers <= 9, "--brokers must be 1 to 9, got %d", o.brokers)
	need(o.zookeepers == 1 || o.zookeepers == 3, "--zookeepers must be 1 or 3, got %d", o.zookeepers)
	need(o.controllers >= 1 && o.controllers <= 5, "--controllers must be 1 to 5, got %d", o.controllers)
	need(o.partitions >= 1, "--partitions must be at least 1, got %d", o.partitions)
	need(o.rf >= 1 && o.rf <= o.brokers, "--replication-factor must be 1 to --brokers (%d), got %d", o.brokers, o.rf)
	need(o.minISR >= 1 && o.minISR <= o.rf, "--min-insync-replicas must be 1 to --replication-factor (%d), got %d", o.rf, o.minISR)
	need(o.producers >= 1, "--producers must be at least 1, got %d", o.producers)
	need(o.consumers >= 1, "--consumers must be at least 1, got %d", o.consumers)
	need(o.rate >= 0 && !math.IsInf(o.rate, 0), "--rate must be 0 (unlimited) or positive, got %v", o.rate)
	need(o.inFlight >= 1, "--in-flight must be at least 1, got %d", o.inFlight)
	need(o.timeLimit > 0, "--time-limit must be positive, got %s", o.timeLimit)
	need(o.warmup >= 0, "--warmup must not be negative, got %s", o.warmup)
	need(o.hold >= 0, "--hold must not be negative, got %s", o.hold)
	need(o.rest >= 0, "--rest must not be negative, got %s", o.rest)
	need(o.crashClients >= 0, "--crash-clients must not be negative, got %s (0: off)", o.crashClients)
	for key, flag := range map[string]string{"min.insync.replicas": "--min-insync-replicas", "unclean.leader.election.enable": "--unclean-leader-election"} {
		_, set := o.brokerConfig[key]
		need(!set, "--broker-config %s: set it with %s", key, flag)
	}
	return errors.Join(errs...)
}

// scheduleOptions pins hold and rest to a fixed length when the flags give one.
func scheduleOptions(hold, rest time.Duration) nemesis.ScheduleOptions {
	return nemesis.ScheduleOptions{HoldMin: hold, HoldMax: hold, RestMin: rest, RestMax: rest}
}

// reproduce is the command line that repeats this run: the flags given, with the seed pinned.
func (o *runFlags) reproduce(seed int64, out string) string {
	var kept []string
	o.flags.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "seed", "out":
		case "broker-config":
			for _, k := range slices.Sorted(maps.Keys(o.brokerConfig)) {
				kept = append(kept, "--broker-config="+shellQuote(k+"="+o.brokerConfig[k]))
			}
		default:
			kept = append(kept, "--"+f.Name+"="+shellQuote(f.Value.String()))
		}
	})
	kept = append(kept, fmt.Sprintf("--seed=%d", seed), "--out="+shellQuote(out+"-replay"))
	return "kafkaesque run " + strings.Join(kept, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
