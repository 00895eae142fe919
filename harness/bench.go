package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// BenchSpec is a throughput comparison on one cluster: the recorded queue workload against
// Kafka's own kafka-producer-perf-test, with the same acks, idempotence and topic, in
// alternating rounds. Run's cluster and workload settings apply; faults do not.
type BenchSpec struct {
	Run RunSpec
	// Round is how long each side runs per round; the tool's record count is sized from its
	// previous rate to last about as long. Default 20 s.
	Round time.Duration
	// Rounds is how many rounds each side runs, alternating which goes first; default 2.
	Rounds int
	// RecordSize is the tool's record size in bytes; default 16.
	RecordSize int
	Progress   io.Writer
}

// BenchRound is one round of each side.
type BenchRound struct {
	WorkloadAcked   int64                `json:"workload_acked"`
	WorkloadElapsed time.Duration        `json:"workload_elapsed"`
	WorkloadRate    float64              `json:"workload_acked_per_sec"`
	Perf            cluster.ProducerPerf `json:"perf"`
}

// BenchResult is the comparison. The rates are each side's total records over its total time.
type BenchResult struct {
	Rounds       []BenchRound `json:"rounds"`
	WorkloadRate float64      `json:"workload_acked_per_sec"`
	PerfRate     float64      `json:"perf_records_per_sec"`
	Ratio        float64      `json:"ratio"`
	// PerfProps are the tool's producer settings (besides bootstrap.servers).
	PerfProps map[string]string `json:"perf_props"`
}

// perfStartRate sizes the tool's first round (records per second); later rounds use its rate.
const perfStartRate = 50_000

// Bench starts a cluster, runs the comparison and removes the cluster. The workload's histories
// are written (buffered, as in a run) to a temporary directory and removed.
func Bench(ctx context.Context, spec BenchSpec) (_ *BenchResult, err error) {
	if spec.Round == 0 {
		spec.Round = 20 * time.Second
	}
	if spec.Rounds == 0 {
		spec.Rounds = 2
	}
	if spec.RecordSize == 0 {
		spec.RecordSize = 16
	}
	switch {
	case spec.Round < time.Second || spec.Rounds < 1 || spec.RecordSize < 1:
		return nil, fmt.Errorf("bench: round %s (at least 1s), rounds %d and record size %d (at least 1)", spec.Round, spec.Rounds, spec.RecordSize)
	case len(spec.Run.Faults) > 0:
		return nil, errors.New("bench: no faults: it measures the cluster's throughput")
	}
	if spec.Run.OutDir == "" {
		spec.Run.OutDir = "bench" // withDefaults wants one; nothing is written there
	}
	run, err := spec.Run.withDefaults()
	if err != nil {
		return nil, err
	}
	if run.Workload.Name != WorkloadQueue {
		return nil, fmt.Errorf("bench: the queue workload is measured, not %s", run.Workload.Name)
	}
	logf := func(format string, args ...any) {
		if spec.Progress != nil {
			fmt.Fprintf(spec.Progress, format+"\n", args...)
		}
	}
	tmp, err := os.MkdirTemp("", "kafkaesque-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	logf("starting the cluster (Kafka %s)", run.Cluster.KafkaVersion)
	cl, err := cluster.Start(ctx, run.Cluster)
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if cerr := cl.Close(cctx, ""); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close cluster: %w", cerr))
		}
	}()
	w := run.Workload
	props := map[string]string{
		"acks":               w.Acks.String(),
		"enable.idempotence": strconv.FormatBool(w.Idempotent != nil && *w.Idempotent),
	}
	res := &BenchResult{PerfProps: props}
	rng := rand.New(rand.NewSource(run.Seed))
	perfRate := float64(perfStartRate)
	var wAcked, pRecords int64
	var wTime, pTime float64
	for i := range spec.Rounds {
		var round BenchRound
		sides := []func() error{
			func() error {
				acked, elapsed, err := benchWorkload(ctx, run, cl.BootstrapServers(), filepath.Join(tmp, fmt.Sprintf("history-%d.jsonl", i)), spec.Round, rng.Int63())
				round.WorkloadAcked, round.WorkloadElapsed = acked, elapsed
				round.WorkloadRate = float64(acked) / elapsed.Seconds()
				logf("round %d: workload %d acked sends in %s: %.0f/s", i+1, acked, elapsed.Round(time.Millisecond), round.WorkloadRate)
				return err
			},
			func() error {
				records := max(int64(perfRate*spec.Round.Seconds()), 1000)
				p, err := cl.RunProducerPerf(ctx, cluster.ProducerPerfConfig{Topic: w.Topic, Records: records, RecordSize: spec.RecordSize, Props: props})
				round.Perf = p
				if err == nil {
					perfRate = p.RecordsPerSec
					logf("round %d: kafka-producer-perf-test %d records: %.0f/s (avg latency %.1f ms)", i+1, p.Records, p.RecordsPerSec, p.AvgLatencyMs)
				}
				return err
			},
		}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return nil, err
			}
		}
		res.Rounds = append(res.Rounds, round)
		wAcked += round.WorkloadAcked
		wTime += round.WorkloadElapsed.Seconds()
		pRecords += round.Perf.Records
		pTime += float64(round.Perf.Records) / round.Perf.RecordsPerSec
	}
	res.WorkloadRate = float64(wAcked) / wTime
	res.PerfRate = float64(pRecords) / pTime
	res.Ratio = res.WorkloadRate / res.PerfRate
	return res, nil
}

// benchWorkload runs the recorded queue workload for d, its history written to path as a run
// writes it, and returns its acknowledged sends and the time they took (until every send it
// invoked had its outcome).
func benchWorkload(ctx context.Context, run RunSpec, bootstrap []string, path string, d time.Duration, seed int64) (int64, time.Duration, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	hw := history.NewBufferedWriter(f, historyFlushDelay)
	defer hw.Close()
	start := time.Now()
	rec := history.NewRecorder(hw, start)
	q, err := workloads.NewQueue(queueConfig(run.Workload, bootstrap), rec, rand.New(rand.NewSource(seed)))
	if err != nil {
		return 0, 0, err
	}
	defer q.Close()
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := q.Run(runCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return 0, 0, fmt.Errorf("workload: %w", err)
	}
	elapsed := time.Since(start)
	if err := rec.Close(); err != nil {
		return 0, 0, err
	}
	return q.Stats().Send.OK, elapsed, ctx.Err()
}
