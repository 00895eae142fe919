package workloads

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// drainMaxWait is short: after recovery the data is there, and an empty
// fetch only means a partition is behind, worth asking again soon.
const drainMaxWait = 100 * time.Millisecond

// drainSettle is how long the drain waits for a high watermark below an acknowledged offset to
// rise, asking every drainSettleStep, before it takes that watermark as the log's end.
const (
	drainSettle     = 10 * time.Second
	drainSettleStep = 250 * time.Millisecond
)

// PartitionDrain is how far the drain read one partition.
type PartitionDrain struct {
	Key           string
	Earliest      int64 // log start offset when the drain began; -1 if never learned
	HighWatermark int64 // highest high watermark seen, the drain's target; -1 if never learned
	Next          int64 // next offset the drain would have read
	Polls         int   // poll ops recorded for this partition
	Complete      bool  // Next reached HighWatermark
}

// DrainResult reports a drain per partition.
type DrainResult struct {
	Partitions []PartitionDrain
	Incomplete []string // keys of partitions that did not reach their high watermark
}

// ErrDrainIncomplete is wrapped by Drain's error when some partition was
// not read up to its high watermark in time.
var ErrDrainIncomplete = errors.New("drain incomplete")

// Drain reads every partition from its earliest offset up to its high
// watermark, one reader per partition under fresh process ids, through the
// workload's client (its metadata refreshes every second), recording poll
// ops marked "drain" (docs/history-format.md). Failed reads are retried
// until limit passes.
// Call it after Run has returned and the cluster has recovered. The result
// is valid even when the error is non-nil; the error wraps
// ErrDrainIncomplete when partitions fell short, or is a recording error.
func (q *Queue) Drain(ctx context.Context, limit time.Duration) (DrainResult, error) {
	return DrainEach(ctx, limit, q.cfg.Partitions, q.drainSeed, q.drainPartition)
}

// DrainEach drains partitions 0..partitions-1 concurrently with drain, each with its own rand
// seeded from seed, within limit, and sums up what they read as Drain says.
func DrainEach(ctx context.Context, limit time.Duration, partitions int, seed int64,
	drain func(ctx context.Context, partition int, rng *rand.Rand) (PartitionDrain, error)) (DrainResult, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	rng := rand.New(rand.NewSource(seed))
	res := DrainResult{Partitions: make([]PartitionDrain, partitions)}
	errs := make([]error, partitions)
	var wg sync.WaitGroup
	for p := range partitions {
		seed := rng.Int63()
		wg.Go(func() {
			res.Partitions[p], errs[p] = drain(ctx, p, rand.New(rand.NewSource(seed)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	var short []string
	for _, pd := range res.Partitions {
		if !pd.Complete {
			res.Incomplete = append(res.Incomplete, pd.Key)
			short = append(short, fmt.Sprintf("%s at %d of [%d, %d)", pd.Key, pd.Next, pd.Earliest, pd.HighWatermark))
		}
	}
	if len(short) > 0 {
		return res, fmt.Errorf("%w after %s: %s", ErrDrainIncomplete, limit, strings.Join(short, "; "))
	}
	return res, nil
}

// drainPartition reads one partition; it returns an error only when the history could not be
// recorded. Every partition gets at least one drain poll in the history: an empty one (high
// watermark 0) an ok poll from 0 with no reads, and one whose offset range the drain never
// learned a failed poll, so the checker can tell an incomplete drain from a history without one.
func (q *Queue) drainPartition(ctx context.Context, partition int, rng *rand.Rand) (PartitionDrain, error) {
	pd := PartitionDrain{Key: Key(q.cfg.Topic, partition), Earliest: -1, HighWatermark: -1, Next: -1}
	rangeErr := ctx.Err()
	for ctx.Err() == nil {
		opCtx, cancel := context.WithTimeout(ctx, q.cfg.OpTimeout)
		earliest, hwm, err := offsetRange(opCtx, q.client, q.cfg.Topic, partition)
		cancel()
		if err == nil {
			pd.Earliest, pd.HighWatermark, pd.Next = earliest, hwm, earliest
			break
		}
		rangeErr = err
		sleepJitter(ctx, rng, errorBackoff)
	}
	proc := q.cfg.Processes.Next()
	if pd.HighWatermark < 0 {
		pd.Polls++
		cause := fmt.Errorf("drain: no offset range of %s learned before the drain's limit: %w", pd.Key, rangeErr)
		if err := q.recordDrainFailure(proc, pd.Key, cause); err != nil {
			return pd, fmt.Errorf("drain %s: %w", pd.Key, err)
		}
		return pd, nil
	}
	// The drain ends with an ok poll that asked at (or past) the high watermark it got back: the
	// end of the log was seen, not assumed. A new leader's high watermark can lag its log for a
	// moment; a drain that stopped at such a watermark would call acknowledged writes lost. It
	// also gives an empty partition the one ok poll that shows its final log is empty.
	confirmed := false
	var settling time.Time // when the end was first seen below an acknowledged offset
	for !confirmed && ctx.Err() == nil {
		from := pd.Next
		typ, hwm, err := q.poll(ctx, pollArgs{client: q.client, proc: proc, partition: partition, position: &pd.Next, maxWait: drainMaxWait, drain: true})
		if err != nil {
			return pd, fmt.Errorf("drain %s: %w", pd.Key, err)
		}
		pd.Polls++
		// The watermark can still rise after recovery, when a follower
		// catches up on records appended before the faults ended.
		pd.HighWatermark = max(pd.HighWatermark, hwm)
		TrackDrain(ctx, pd)
		if typ != history.OK {
			proc = q.cfg.Processes.Next()
			sleepJitter(ctx, rng, errorBackoff)
			continue
		}
		confirmed = endSeen(from, hwm, pd.Next, pd.HighWatermark)
		if confirmed && hwm <= q.acked[partition].Load() {
			// A write was acknowledged at or past this end. A new leader's watermark can lag its
			// log; give it drainSettle to catch up, then take the end as final (the write lost).
			if settling.IsZero() {
				settling = time.Now()
			}
			if time.Since(settling) < drainSettle {
				confirmed = false
				sleep(ctx, drainSettleStep)
			}
		}
	}
	pd.Complete = confirmed
	TrackDrain(ctx, pd)
	return pd, nil
}

// endSeen reports whether an ok drain poll that asked at from and was told high watermark hwm
// saw the end of the log, the drain being at next with maxHW the highest watermark seen: it asked
// at the watermark, and that watermark is the highest seen (a lower one is a leader that lags,
// or a log that shrank: the drain keeps asking).
func endSeen(from, hwm, next, maxHW int64) bool {
	return hwm <= from && next >= maxHW && hwm == maxHW
}

// EndSeen is endSeen, for the drains of workloads in sub-packages (workloads/txn).
func EndSeen(from, hwm, next, maxHW int64) bool { return endSeen(from, hwm, next, maxHW) }
