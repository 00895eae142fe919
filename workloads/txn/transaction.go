package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errRunEnded stops a transaction's mops when Run's context ends: it is then aborted.
var errRunEnded = errors.New("the run ended before the transaction's mops were done")

// errNoOutcome is a send with no outcome when its op timeout ended: kgo keeps an in-flight
// record of an idempotent producer until the broker answers, so it may still be appended.
var errNoOutcome = errors.New("no outcome within the op timeout: the record may still be appended")

// result is how one transaction ended.
type result struct {
	typ      history.Type
	msg      string // the completion's error; every fail and info has one
	commitAt *int64 // when the client asked to commit, if it did
	// replace says the client must crash and be replaced: after any info (the process is over),
	// and after any error (the producer may be fenced or in a state kgo cannot leave).
	replace bool
}

// transact records and runs one transaction. The error is for recording failures only.
func (c *client) transact(ctx context.Context, p plan) (result, error) {
	inv, err := c.w.rec.Invoke(c.proc, history.FTxn, history.TxnValue{Mops: p.mops, TxnID: c.txnID, Abort: p.abort})
	if err != nil {
		return result{}, fmt.Errorf("record txn invoke: %w", err)
	}
	c.w.stats.txn.invoked.Add(1)
	mops := slices.Clone(p.mops)
	res := c.execute(ctx, p, mops)
	done := history.TxnValue{Mops: mops, CommitAt: res.commitAt}
	if _, err := c.w.rec.Complete(inv, res.typ, done, res.msg); err != nil {
		return result{}, fmt.Errorf("record txn completion: %w", err)
	}
	c.w.stats.txn.complete(res.typ, p.abort && !res.replace)
	return res, nil
}

// execute runs p, filling mops with what was learned: each acknowledged send's offset, each
// poll's reads. Steps run on a context detached from ctx, each bounded by OpTimeout, so that a
// transaction under way when the run ends is still ended (aborted, unless its mops were done).
func (c *client) execute(ctx context.Context, p plan, mops []history.Mop) result {
	if err := c.begin(ctx); err != nil {
		// Nothing was sent: the transaction cannot commit.
		return result{typ: history.Fail, msg: "begin transaction: " + err.Error(), replace: true}
	}
	sent := false
	var mopErr error
	for i := range mops {
		if i > 0 && c.w.cfg.TxnDelay > 0 {
			workloads.Sleep(ctx, c.w.cfg.TxnDelay)
		}
		if ctx.Err() != nil {
			mopErr = errRunEnded
			break
		}
		if sent {
			if res, crashed := c.crashMidTxn(); crashed {
				return res
			}
			c.w.holds.point(ctx, c)
		}
		switch mops[i].F {
		case history.MopSend:
			offset, err := c.send(ctx, p.partitions[i], mops[i].Value)
			if err != nil {
				mopErr = fmt.Errorf("send %s to %s: %w", mops[i].Value, mops[i].Key, err)
			} else {
				mops[i].Offset, sent = &offset, true
				c.w.noteAck(p.partitions[i], offset)
				c.w.stats.txn.sends.Add(1)
			}
		case history.MopPoll:
			reads, err := c.poll(ctx)
			mops[i].Reads = reads
			c.w.stats.txn.polls.Add(1)
			if err != nil {
				mopErr = fmt.Errorf("poll: %w", err)
			}
		}
		if mopErr != nil {
			break
		}
	}
	if sent && mopErr == nil {
		if res, crashed := c.crashMidTxn(); crashed {
			return res
		}
		c.w.holds.point(ctx, c)
	}
	if mopErr != nil || p.abort {
		return c.abort(ctx, mopErr)
	}
	return c.commit(ctx)
}

// step is a context for one step of a transaction: OpTimeout long, and not cut short by the
// end of the run.
func (c *client) step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.w.cfg.OpTimeout)
}

// begin starts a transaction. A new producer's first BeginTransaction runs InitProducerID, which
// kgo retries without a deadline while the coordinator answers CONCURRENT_TRANSACTIONS (it is
// still aborting the transaction the old producer left open); past OpTimeout the producer is
// closed, which ends kgo's wait.
func (c *client) begin(ctx context.Context) error {
	stepCtx, cancel := c.step(ctx)
	defer cancel()
	prod := c.prod
	done := make(chan error, 1)
	go func() { done <- prod.BeginTransaction() }()
	select {
	case err := <-done:
		if err == nil {
			c.unfenced = false
		}
		return err
	case <-stepCtx.Done():
		c.closeClients()
		<-done
		return fmt.Errorf("no producer id within %s (InitProducerID): %w", c.w.cfg.OpTimeout, stepCtx.Err())
	}
}

// send produces value to partition and waits for its promise until OpTimeout. The workload never
// resends a value: retries are kgo's, deduplicated by sequence number.
func (c *client) send(ctx context.Context, partition int, value string) (int64, error) {
	stepCtx, cancel := c.step(ctx)
	defer cancel()
	type promised struct {
		rec *kgo.Record
		err error
	}
	done := make(chan promised, 1)
	rec := &kgo.Record{Topic: c.w.cfg.Topic, Partition: int32(partition), Value: []byte(value)}
	c.prod.Produce(stepCtx, rec, func(r *kgo.Record, err error) { done <- promised{r, err} })
	select {
	case res := <-done:
		switch {
		case res.err != nil:
			return 0, res.err
		case res.rec.Topic != c.w.cfg.Topic || int(res.rec.Partition) != partition:
			return 0, fmt.Errorf("franz-go acknowledged %s-%d, the send was for %s", res.rec.Topic, res.rec.Partition, workloads.Key(c.w.cfg.Topic, partition))
		}
		return res.rec.Offset, nil
	case <-stepCtx.Done():
		return 0, errNoOutcome
	}
}

// poll is one PollFetches of the consumer, bounded by pollTimeout: what it returned, per key in
// order. Reads survive an error (they happened); a poll that timed out with nothing read nothing.
func (c *client) poll(ctx context.Context) (map[string][]history.Read, error) {
	pollCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pollTimeout)
	defer cancel()
	fetches := c.cons.PollFetches(pollCtx)
	reads := map[string][]history.Read{}
	var errs []error
	fetches.EachError(func(topic string, partition int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("%s: %w", workloads.Key(topic, int(partition)), err))
		}
	})
	fetches.EachRecord(func(r *kgo.Record) {
		p := int(r.Partition)
		if r.Topic != c.w.cfg.Topic || p < 0 || p >= len(c.positions) {
			errs = append(errs, fmt.Errorf("record of %s-%d, which the consumer was not assigned", r.Topic, r.Partition))
			return
		}
		key := workloads.Key(c.w.cfg.Topic, p)
		reads[key] = append(reads[key], history.Read{Offset: r.Offset, Value: string(r.Value)})
		c.positions[p] = max(c.positions[p], r.Offset+1)
	})
	return reads, errors.Join(errs...)
}

// crashMidTxn crashes the client inside a transaction when a crash is due there: the producer is
// closed without EndTxn, so the outcome is the coordinator's (it aborts the transaction when the
// new producer's InitProducerID fences the old, or at TxnTimeout). The transaction is info.
func (c *client) crashMidTxn() (result, bool) {
	if !c.crashInTxn {
		return result{}, false
	}
	c.closeClients()
	c.crashed()
	return result{typ: history.Info, replace: true,
		msg: workloads.CrashReason + ": the client crashed mid-transaction on purpose, before EndTxn; the coordinator decides the outcome"}, true
}
