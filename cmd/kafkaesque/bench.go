package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// benchRunFlags are the run flags that shape what bench measures: the cluster and the workload.
var benchRunFlags = []string{"kafka-version", "mode", "brokers", "zookeepers", "controllers", "combined",
	"partitions", "replication-factor", "acks", "min-insync-replicas", "producers", "consumers", "rate",
	"in-flight", "client", "idempotent", "broker-config", "seed"}

type benchFlags struct {
	run        runFlags
	round      time.Duration
	rounds     int
	recordSize int
	json       bool
}

func newBenchCmd() *cobra.Command {
	var o benchFlags
	cmd := &cobra.Command{
		Use:   "bench [flags]",
		Short: "measure the recorded workload's throughput against Kafka's kafka-producer-perf-test",
		Long: "Starts one cluster, then runs the recorded queue workload (no faults, its history written as a\n" +
			"run writes it) and Kafka's own kafka-producer-perf-test in turn, --rounds times each, alternating\n" +
			"which goes first. Both use the same acks, idempotence and topic; the tool runs in a container\n" +
			"of the node image on the cluster's network, with its own default batching. Prints each side's\n" +
			"acknowledged records per second and their ratio.\n\n" +
			"Exit status: 0 measured, 2 bad input or error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runBench(cmd.Context(), &o, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
	all := pflag.NewFlagSet("run", pflag.ContinueOnError)
	o.run.register(all)
	fs := cmd.Flags()
	for _, name := range benchRunFlags {
		fs.AddFlag(all.Lookup(name))
	}
	o.run.flags = fs
	fs.DurationVar(&o.round, "round", 20*time.Second, "how long each side runs per round")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds of each side")
	fs.IntVar(&o.recordSize, "record-size", 16, "kafka-producer-perf-test's record size in bytes (the workload's values are \"v\" and a number: 2 to 9 bytes)")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	return cmd
}

func runBench(ctx context.Context, o *benchFlags, stdout, stderr io.Writer) int {
	o.run.faults = "none"
	spec, err := o.run.spec()
	if err == nil && (o.round < time.Second || o.rounds < 1 || o.recordSize < 1) {
		err = fmt.Errorf("--round must be at least 1s, --rounds and --record-size at least 1 (got %s, %d, %d)", o.round, o.rounds, o.recordSize)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque bench: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stderr, "kafkaesque bench: seed %d\n", spec.Seed)
	res, err := harness.Bench(ctx, harness.BenchSpec{Run: spec, Round: o.round, Rounds: o.rounds, RecordSize: o.recordSize, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "kafkaesque bench: %v\n", err)
		return exitError
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "kafkaesque bench: %v\n", err)
			return exitError
		}
		return 0
	}
	fmt.Fprintf(stdout, "workload (recorded, exact offsets): %10.0f acked sends/s\n", res.WorkloadRate)
	fmt.Fprintf(stdout, "kafka-producer-perf-test:           %10.0f records/s (%d-byte records, %v)\n", res.PerfRate, o.recordSize, res.PerfProps)
	fmt.Fprintf(stdout, "ratio:                              %10.2f\n", res.Ratio)
	return 0
}
