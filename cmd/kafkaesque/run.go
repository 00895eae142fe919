package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// defaultFaults is the mix a plain `kafkaesque run` injects: every election Kafka has in ZooKeeper
// mode (controller, partition leader) by crash, pause and partition.
const defaultFaults = "kill-controller,kill-leader,pause-leader,isolate-leader,partition-majority"

// keyValues collects repeated key=value flags.
type keyValues map[string]string

func (kv keyValues) String() string { return fmt.Sprint(map[string]string(kv)) }
func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	kv[k] = v
	return nil
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workloadName := fs.String("workload", harness.WorkloadQueue, "workload: "+strings.Join(harness.WorkloadNames, " or ")+" (group: consumers in one consumer group)")
	brokers := fs.Int("brokers", 3, "number of Kafka brokers")
	zookeepers := fs.Int("zookeepers", 1, "number of ZooKeeper nodes (1 or 3)")
	partitions := fs.Int("partitions", 3, "partitions of the workload's topic")
	rf := fs.Int("replication-factor", 3, "replication factor of the workload's topic")
	acksFlag := fs.String("acks", "all", "producer acks: 0, 1 or all")
	minISR := fs.Int("min-insync-replicas", 2, "min.insync.replicas of the brokers")
	unclean := fs.Bool("unclean-leader-election", false, "unclean.leader.election.enable")
	faultsFlag := fs.String("nemesis", defaultFaults, "comma-separated fault names (see below), or none")
	timeLimit := fs.Duration("time-limit", 60*time.Second, "length of the fault phase")
	seed := fs.Int64("seed", 0, "seed of the fault schedule and workload choices (0: pick one and print it)")
	out := fs.String("out", "", "the run directory itself (default results/<run-id>/)")
	producers := fs.Int("producers", 3, "producer clients")
	consumers := fs.Int("consumers", 2, "consumer clients (with --workload group: members of the group)")
	rate := fs.Float64("rate", 0, "max sends per second per producer (0: unlimited)")
	hold := fs.Duration("hold", 0, "how long each fault is held (0: the schedule's default range)")
	rest := fs.Duration("rest", 0, "rest between faults (0: the schedule's default range)")
	brokerConfig := keyValues{}
	fs.Var(brokerConfig, "broker-config", "extra broker config key=value (repeatable; verified after start)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kafkaesque run [flags]")
		fmt.Fprintln(stderr, "\nStarts a ZooKeeper+Kafka cluster in Docker, drives the queue workload while the nemesis")
		fmt.Fprintln(stderr, "injects faults, heals, drains, checks, and writes the run directory.")
		fmt.Fprintln(stderr, "Exit status: 0 valid, 1 anomalies found, 2 bad input or error, 3 unknown.\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nfaults (--nemesis):")
		for _, f := range nemesis.All() {
			fmt.Fprintf(stderr, "  %-20s %s\n", f.Name(), f.Describe())
		}
		fmt.Fprintln(stderr, "\nconsumer-group faults (--workload group only):")
		for _, f := range nemesis.GroupFaults() {
			fmt.Fprintf(stderr, "  %-20s %s\n", f.Name(), f.Describe())
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kafkaesque run: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	acks, err := workloads.ParseAcks(*acksFlag)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque run: --acks: %v\n", err)
		return 2
	}
	if !slices.Contains(harness.WorkloadNames, *workloadName) {
		fmt.Fprintf(stderr, "kafkaesque run: --workload: unknown workload %q (valid: %s)\n", *workloadName, strings.Join(harness.WorkloadNames, ", "))
		return 2
	}
	var faults []string
	if *faultsFlag != "none" && *faultsFlag != "" {
		for _, f := range strings.Split(*faultsFlag, ",") {
			faults = append(faults, strings.TrimSpace(f))
		}
	}
	if _, err := nemesis.Lookup(faults); err != nil {
		fmt.Fprintf(stderr, "kafkaesque run: --nemesis: %v\n", err)
		return 2
	}
	if *workloadName != harness.WorkloadGroup {
		for _, f := range nemesis.GroupFaults() {
			if slices.Contains(faults, f.Name()) {
				fmt.Fprintf(stderr, "kafkaesque run: --nemesis: %s needs --workload group\n", f.Name())
				return 2
			}
		}
	}
	if *zookeepers != 1 && *zookeepers != 3 {
		fmt.Fprintf(stderr, "kafkaesque run: --zookeepers must be 1 or 3, got %d\n", *zookeepers)
		return 2
	}
	if *rf < 1 || *rf > *brokers || *partitions < 1 || *minISR < 1 || *minISR > *rf {
		fmt.Fprintf(stderr, "kafkaesque run: need 1 <= --min-insync-replicas (%d) <= --replication-factor (%d) <= --brokers (%d), and --partitions >= 1\n",
			*minISR, *rf, *brokers)
		return 2
	}
	if *timeLimit <= 0 {
		fmt.Fprintln(stderr, "kafkaesque run: --time-limit must be positive")
		return 2
	}
	if *seed == 0 {
		*seed = time.Now().UnixNano() % 1_000_000_000
	}
	runID := fmt.Sprintf("%s-seed%d", time.Now().UTC().Format("20060102-150405"), *seed)
	if *out == "" {
		*out = filepath.Join("results", runID)
	}
	brokerConfig["min.insync.replicas"] = strconv.Itoa(*minISR)
	brokerConfig["unclean.leader.election.enable"] = strconv.FormatBool(*unclean)

	spec := harness.RunSpec{
		Cluster: harness.ClusterConfig{Brokers: *brokers, ZooKeepers: *zookeepers, BrokerConfig: brokerConfig},
		Workload: harness.WorkloadSpec{
			Name:       *workloadName,
			Partitions: *partitions, ReplicationFactor: *rf, Acks: acks,
			Producers: *producers, Consumers: *consumers, Rate: *rate,
		},
		Faults:    faults,
		Schedule:  scheduleOptions(*hold, *rest),
		TimeLimit: *timeLimit,
		Seed:      *seed,
		OutDir:    *out,
		Command:   reproduce(args, *seed, *out),
		Progress:  stderr,
	}
	fmt.Fprintf(stderr, "kafkaesque run: seed %d, run directory %s\n", *seed, *out)
	res, err := harness.RunChaos(ctx, spec)
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque run: %v\n", err)
		if _, statErr := os.Stat(*out); statErr == nil {
			fmt.Fprintf(stderr, "kafkaesque run: partial run directory kept: %s\n", *out)
		}
		return 2
	}
	printSummary(stdout, res.Dir, res.Result)
	fmt.Fprintf(stdout, "run directory: %s\n", res.Dir)
	return exitCode(res.Result)
}

// scheduleOptions pins hold and rest to a fixed length when the flags give one.
func scheduleOptions(hold, rest time.Duration) nemesis.ScheduleOptions {
	return nemesis.ScheduleOptions{HoldMin: hold, HoldMax: hold, RestMin: rest, RestMax: rest}
}

// reproduce is the command line that repeats this run: the same flags with the seed pinned.
func reproduce(args []string, seed int64, out string) string {
	var kept []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		if name == "seed" || name == "out" {
			if !strings.Contains(a, "=") {
				i++ // skip its value
			}
			continue
		}
		kept = append(kept, shellQuote(a))
	}
	kept = append(kept, fmt.Sprintf("--seed=%d", seed), "--out="+shellQuote(out+"-replay"))
	return "kafkaesque run " + strings.Join(kept, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
