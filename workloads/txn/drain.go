package txn

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// As the queue's drain: how long a read-committed end below an acknowledged offset may take to
// rise before the drain takes it as final, and how often it asks meanwhile. The same step spaces
// the polls that wait for an open transaction to be decided.
const (
	drainSettle     = 10 * time.Second
	drainSettleStep = 250 * time.Millisecond
)

// Drain reads every partition from its log start to its end at the read-committed level, one
// process per partition, recording plain poll ops marked "drain" with from and hw (the fetch's
// high watermark), as the queue's drain does (docs/history-format.md). Each ok drain poll read
// every committed record in [from, lso), lso being its first fetch's last stable offset: its
// fetches went on until they had processed up to there, aborted records and markers included,
// which no poll returns. The next poll of the partition, by the same process, asks at lso: the
// checker's rule for transactional histories takes a drain poll to cover up to there. A failed
// poll (reads have no side effects) keeps the process, so that the chain is not broken.
//
// A partition's drain is complete when a poll asked at its high watermark and that watermark is
// the highest seen: then nothing in the log is undecided. A transaction left open by a crashed
// client holds the last stable offset down until its coordinator aborts it (at TxnTimeout, or
// when the client's successor fences it), and a commit whose markers are still being written
// may yet add records; the drain waits for both within limit. Call it after Run has returned and
// the cluster has recovered. The result is valid when the error is non-nil; the error wraps
// workloads.ErrDrainIncomplete when partitions fell short, or is a recording error.
func (w *Workload) Drain(ctx context.Context, limit time.Duration) (workloads.DrainResult, error) {
	return workloads.DrainEach(ctx, limit, w.cfg.Partitions, w.drainSeed, w.drainPartition)
}

// drainPartition reads one partition; it returns an error only when the history could not be
// recorded.
func (w *Workload) drainPartition(ctx context.Context, partition int, rng *rand.Rand) (workloads.PartitionDrain, error) {
	pd := workloads.PartitionDrain{Key: workloads.Key(w.cfg.Topic, partition), Earliest: -1, HighWatermark: -1, Next: -1}
	startErr := ctx.Err()
	for ctx.Err() == nil {
		opCtx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
		earliest, err := w.logStart(opCtx, partition)
		cancel()
		if err == nil {
			pd.Earliest, pd.Next = earliest, earliest
			break
		}
		startErr = err
		workloads.SleepJitter(ctx, rng, errorBackoff)
	}
	proc := w.cfg.Processes.Next()
	if pd.Earliest < 0 {
		pd.Polls++
		cause := fmt.Errorf("drain: no log start of %s learned before the drain's limit: %w", pd.Key, startErr)
		return pd, w.recordDrainFailure(proc, pd.Key, cause)
	}
	confirmed := false
	var settling time.Time // when the end was first seen below an acknowledged offset
	for !confirmed && ctx.Err() == nil {
		from := pd.Next
		cr, ok, err := w.drainPoll(ctx, proc, partition, from)
		if err != nil {
			return pd, fmt.Errorf("drain %s: %w", pd.Key, err)
		}
		pd.Polls++
		if !ok {
			workloads.SleepJitter(ctx, rng, errorBackoff)
			continue
		}
		pd.Next = max(pd.Next, cr.lso)
		pd.HighWatermark = max(pd.HighWatermark, cr.hw)
		workloads.TrackDrain(ctx, pd)
		// Asked at the watermark, the highest seen, and read past everything below it: the
		// last stable offset is up to the watermark, nothing is undecided.
		confirmed = workloads.EndSeen(from, cr.hw, pd.Next, pd.HighWatermark)
		switch {
		case !confirmed && from >= cr.lso:
			// At the read-committed end with undecided records above it: wait for the
			// coordinator to decide them.
			workloads.Sleep(ctx, drainSettleStep)
		case confirmed && cr.hw <= w.acked[partition].Load():
			// A send was acknowledged at or past this end. A new leader's watermark can lag its
			// log; give it drainSettle to catch up, then take the end as final.
			if settling.IsZero() {
				settling = time.Now()
			}
			if time.Since(settling) < drainSettle {
				confirmed = false
				workloads.Sleep(ctx, drainSettleStep)
			}
		}
	}
	pd.Complete = confirmed
	workloads.TrackDrain(ctx, pd)
	return pd, nil
}

// drainPoll records and performs one drain poll of partition from from. A poll that could not
// read up to its last stable offset is recorded fail (reads have no side effects) and returns
// ok false; the error is for recording failures only.
func (w *Workload) drainPoll(ctx context.Context, proc, partition int, from int64) (committedRead, bool, error) {
	key := workloads.Key(w.cfg.Topic, partition)
	inv, err := w.rec.Invoke(proc, history.FPoll, history.PollInvoke{Keys: []string{key}, From: map[string]int64{key: from}, Drain: true})
	if err != nil {
		return committedRead{}, false, fmt.Errorf("record drain poll invoke: %w", err)
	}
	w.stats.drain.invoked.Add(1)
	opCtx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
	cr, fetchErr := w.fetchCommitted(opCtx, partition, from)
	cancel()
	if fetchErr != nil {
		if _, err := w.rec.Complete(inv, history.Fail, nil, fetchErr.Error()); err != nil {
			return committedRead{}, false, fmt.Errorf("record drain poll completion: %w", err)
		}
		w.stats.drain.fail.Add(1)
		return committedRead{}, false, nil
	}
	done := history.PollResult{Reads: map[string][]history.Read{key: cr.reads}, HW: map[string]int64{key: cr.hw}}
	if _, err := w.rec.Complete(inv, history.OK, done, ""); err != nil {
		return committedRead{}, false, fmt.Errorf("record drain poll completion: %w", err)
	}
	w.stats.drain.ok.Add(1)
	return cr, true, nil
}

// recordDrainFailure records a drain poll of key that failed before any fetch: its log start was
// never learned. It has no from, and tells the checker the drain was attempted and is incomplete.
func (w *Workload) recordDrainFailure(proc int, key string, cause error) error {
	inv, err := w.rec.Invoke(proc, history.FPoll, history.PollInvoke{Keys: []string{key}, Drain: true})
	if err != nil {
		return fmt.Errorf("record drain poll invoke: %w", err)
	}
	w.stats.drain.invoked.Add(1)
	if _, err := w.rec.Complete(inv, history.Fail, nil, cause.Error()); err != nil {
		return fmt.Errorf("record drain poll completion: %w", err)
	}
	w.stats.drain.fail.Add(1)
	return nil
}
