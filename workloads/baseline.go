package workloads

import (
	"context"
	"errors"
	"math/rand"
	"strconv"
	"sync"
	"sync/atomic"
)

// Baseline is the queue workload's producer side without recording: the
// same kafka-go client settings, acks, batching (RecordsPerProduceRequest)
// and number of concurrent producers, sending n values in all. It returns
// how many were acknowledged (with acks=0, how many were sent without an
// error). Rate and Consumers are ignored. It exists for throughput
// benchmarks against Run.
func Baseline(ctx context.Context, cfg QueueConfig, n int) (acked int, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return 0, err
	}
	if cfg.Producers < 1 {
		return 0, errors.New("baseline: needs at least one producer")
	}
	client, transport := newClient(cfg.Bootstrap, cfg.Topic, cfg.OpTimeout)
	defer transport.CloseIdleConnections()
	var next, ok atomic.Int64
	var wg sync.WaitGroup
	for i := range cfg.Producers {
		wg.Go(func() {
			rng := rand.New(rand.NewSource(int64(i)))
			for ctx.Err() == nil {
				if next.Add(1) > int64(n) {
					return
				}
				opCtx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
				_, err := produceOne(opCtx, client, cfg.Topic, rng.Intn(cfg.Partitions), cfg.Acks, "v"+strconv.Itoa(i))
				cancel()
				if err == nil || errors.Is(err, errNoAcknowledgement) {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(ok.Load()), ctx.Err()
}
