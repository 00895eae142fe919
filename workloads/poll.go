package workloads

import (
	"context"
	"fmt"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
)

// pollArgs is one fetch of one partition by poll.
type pollArgs struct {
	client    *kafka.Client
	proc      int
	partition int
	position  *int64 // the offset asked for; advanced past what was read
	maxWait   time.Duration
	drain     bool // one of the final drain's polls: marked "drain" in the history
}

// poll records and performs one fetch of a partition from *position (fetchAt), which it advances.
// The invoke records the offset asked for ("from"), an ok completion the high watermark the fetch
// returned ("hw"); OffsetOutOfRange is recorded as fail. It returns the
// completion type and, for ok polls, the high watermark (else -1). A failed poll returns Fail
// with a nil error; the error is for recording failures only.
func (q *Queue) poll(ctx context.Context, a pollArgs) (history.Type, int64, error) {
	key := Key(q.cfg.Topic, a.partition)
	from := *a.position
	inv, err := q.rec.Invoke(a.proc, history.FPoll, history.PollInvoke{Keys: []string{key}, From: map[string]int64{key: from}, Drain: a.drain})
	if err != nil {
		return "", -1, fmt.Errorf("record poll invoke: %w", err)
	}
	q.stats.poll.invoked.Add(1)
	opCtx, cancel := context.WithTimeout(ctx, q.cfg.OpTimeout)
	defer cancel()
	reads, hwm, fetchErr := fetchAt(opCtx, a.client, q.cfg.Topic, a.partition, a.position, a.maxWait)
	if fetchErr != nil {
		// Reads have no side effects, so a failed fetch is a definite fail.
		if _, err := q.rec.Complete(inv, history.Fail, nil, fetchErr.Error()); err != nil {
			return "", -1, fmt.Errorf("record poll completion: %w", err)
		}
		q.stats.poll.complete(history.Fail)
		return history.Fail, -1, nil
	}
	if _, err := q.rec.Complete(inv, history.OK, pollResult(key, reads, hwm), ""); err != nil {
		return "", -1, fmt.Errorf("record poll completion: %w", err)
	}
	q.stats.poll.complete(history.OK)
	return history.OK, hwm, nil
}

// fetchAt fetches partition from *position and moves *position past what it read. After
// OffsetOutOfRange it moves *position to the partition's log start, never past data it has not
// read; if that look-up fails too, the next fetch fails again and retries the reset.
func fetchAt(ctx context.Context, client *kafka.Client, topic string, partition int, position *int64, maxWait time.Duration) ([]history.Read, int64, error) {
	reads, hwm, err := fetchFrom(ctx, client, topic, partition, *position, maxWait)
	if err != nil {
		if isOffsetOutOfRange(err) {
			if earliest, _, rangeErr := offsetRange(ctx, client, topic, partition); rangeErr == nil {
				*position = earliest
			}
		}
		return nil, -1, err
	}
	if len(reads) > 0 {
		*position = reads[len(reads)-1].Offset + 1
	}
	return reads, hwm, nil
}

// pollResult is an ok poll's value: what one fetch of key read, and its high watermark.
func pollResult(key string, reads []history.Read, hw int64) history.PollResult {
	return history.PollResult{Reads: map[string][]history.Read{key: reads}, HW: map[string]int64{key: hw}}
}

// PollResult is pollResult, for the group workload (workloads/group).
func PollResult(key string, reads []history.Read, hw int64) history.PollResult {
	return pollResult(key, reads, hw)
}

// FetchAt is fetchAt of a partition of the queue's topic with the queue's client, for the
// group workload's members (workloads/group).
func (q *Queue) FetchAt(ctx context.Context, partition int, position *int64, maxWait time.Duration) ([]history.Read, int64, error) {
	return fetchAt(ctx, q.client, q.cfg.Topic, partition, position, maxWait)
}

// OffsetRange returns a partition of the queue's topic's log start offset and high watermark,
// asked with the queue's client.
func (q *Queue) OffsetRange(ctx context.Context, partition int) (earliest, highWatermark int64, err error) {
	return offsetRange(ctx, q.client, q.cfg.Topic, partition)
}

// recordDrainFailure records a drain poll of key that failed before any fetch: the drain never
// learned the partition's offset range. It has no "from", since no offset was asked for, and it
// tells the checker the drain was attempted there and is incomplete.
func (q *Queue) recordDrainFailure(proc int, key string, cause error) error {
	inv, err := q.rec.Invoke(proc, history.FPoll, history.PollInvoke{Keys: []string{key}, Drain: true})
	if err != nil {
		return fmt.Errorf("record drain poll invoke: %w", err)
	}
	q.stats.poll.invoked.Add(1)
	if _, err := q.rec.Complete(inv, history.Fail, nil, cause.Error()); err != nil {
		return fmt.Errorf("record drain poll completion: %w", err)
	}
	q.stats.poll.complete(history.Fail)
	return nil
}
