package workloads_test

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// BenchmarkQueueThroughput compares the acknowledged-send throughput of the
// recorded queue workload (history encoded and written, to io.Discard)
// with a bare kafka-go producer using the same acks, batching and
// concurrency, against one cluster. Each iteration sends sendsPerRun values
// with each; consumers are off so both load the cluster alike.
func BenchmarkQueueThroughput(b *testing.B) {
	c := cluster.StartTestCluster(b, cluster.Config{})
	ctx := context.Background()
	const sendsPerRun = 6000
	cfg := workloads.QueueConfig{
		Bootstrap: c.BootstrapServers(), Topic: cluster.DefaultTopic, Partitions: 3,
		Acks: workloads.AcksAll, Producers: 8,
	}
	if _, err := workloads.Baseline(ctx, cfg, 1000); err != nil { // warm the brokers' JIT and page cache
		b.Fatal(err)
	}
	var recordedTime, baselineTime time.Duration
	var recordedAcked, baselineAcked int
	seed := int64(0)
	runBaseline := func() {
		t0 := time.Now()
		acked, err := workloads.Baseline(ctx, cfg, sendsPerRun)
		if err != nil {
			b.Fatal(err)
		}
		baselineTime += time.Since(t0)
		baselineAcked += acked
	}
	runRecorded := func() {
		seed++
		run := cfg
		run.MaxSends = sendsPerRun
		// A real history file, as a run writes it: one line per op, flushed as it goes.
		f, err := os.Create(filepath.Join(b.TempDir(), "history.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		rec := history.NewRecorder(history.NewWriter(f), time.Now())
		q, err := workloads.NewQueue(run, rec, rand.New(rand.NewSource(seed)))
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		t0 := time.Now()
		if err := q.Run(ctx); err != nil {
			b.Fatal(err)
		}
		recordedTime += time.Since(t0)
		recordedAcked += int(q.Stats().Send.OK)
	}
	// Alternate which goes first, so neither always meets a warmer cluster.
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			runBaseline()
			runRecorded()
		} else {
			runRecorded()
			runBaseline()
		}
	}
	recorded := float64(recordedAcked) / recordedTime.Seconds()
	baseline := float64(baselineAcked) / baselineTime.Seconds()
	b.ReportMetric(recorded, "recorded-acked/s")
	b.ReportMetric(baseline, "baseline-acked/s")
	b.ReportMetric(recorded/baseline, "ratio")
}
