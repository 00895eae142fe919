package txn

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// errorBackoff is the pause after a transaction that did not commit or abort cleanly, so a dead
// coordinator does not turn the history into a stream of refused transactions.
const errorBackoff = 100 * time.Millisecond

// client is one slot: a transactional producer and a consumer under one process id. When the
// client crashes, on purpose or after an indeterminate transaction, both are replaced under a
// new process id; the producer keeps the slot's transactional id and the consumer goes on from
// where the old one had read. Its fields belong to its goroutine.
type client struct {
	w     *Workload
	slot  int
	txnID string
	rng   *rand.Rand
	proc  int
	prod  producer
	cons  consumer
	// positions is, per partition, the next offset the consumer reads (-1: the log start).
	positions []int64
	nextCrash time.Time // zero: never
	// crashInTxn makes the due crash happen inside the next transaction, after a send.
	crashInTxn bool
	// unfenced is a replacement producer that has not run InitProducerID yet: its predecessor
	// may have left a transaction open.
	unfenced bool
}

// run opens the client and runs transactions until ctx ends. It returns only a recording
// error or a client that could not be built.
func (c *client) run(ctx context.Context) error {
	c.positions = make([]int64, c.w.cfg.Partitions)
	for i := range c.positions {
		c.positions[i] = -1
	}
	if err := c.open(); err != nil {
		return err
	}
	defer c.closeClients()
	c.scheduleCrash(time.Now())
	pace := workloads.NewPacer(c.w.cfg.Rate)
	for pace.Wait(ctx) {
		if c.crashDue() && !c.crashInTxn {
			// Half the crashes fall between transactions, half inside one (after a send, so
			// the coordinator has a transaction to decide).
			if c.rng.Intn(2) == 0 {
				c.crashInTxn = true
			} else if err := c.crashBetween(); err != nil {
				return err
			}
			continue
		}
		res, err := c.transact(ctx, c.plan())
		if err != nil {
			return err
		}
		if res.replace {
			if err := c.replace(); err != nil {
				return err
			}
			workloads.SleepJitter(ctx, c.rng, errorBackoff)
		}
	}
	c.fenceOnExit(ctx)
	return nil
}

// fenceOnExit runs the last replacement producer's InitProducerID, as a restarted client would,
// so that a transaction its predecessor left open is aborted now rather than at TxnTimeout,
// which the drain would otherwise wait for. It records nothing: it begins no transaction on
// the broker (a transaction starts there with its first send).
func (c *client) fenceOnExit(ctx context.Context) {
	if c.unfenced && c.prod != nil {
		_ = c.begin(ctx) // on failure the coordinator's timeout aborts it instead
	}
}

// open builds the producer and the consumer under a new process id.
func (c *client) open() error {
	prod, err := c.w.open.producer(c.txnID)
	if err != nil {
		return err
	}
	cons, err := c.w.open.consumer(c.txnID, c.positions)
	if err != nil {
		prod.Close()
		return err
	}
	c.prod, c.cons = prod, cons
	c.proc = c.w.cfg.Processes.Next()
	c.w.procs.set(c.txnID, c.proc)
	c.unfenced = true
	return nil
}

// closeClients drops the producer and the consumer without ending an open transaction, as a
// crashed process would.
func (c *client) closeClients() {
	if c.prod != nil {
		c.prod.Close()
	}
	if c.cons != nil {
		c.cons.Close()
	}
	c.prod, c.cons = nil, nil
}

// replace crashes the client: a process whose op ended info never invokes again.
func (c *client) replace() error {
	c.closeClients()
	return c.open()
}

func (c *client) scheduleCrash(now time.Time) {
	c.nextCrash = workloads.NextCrash(c.rng, now, c.w.cfg.CrashInterval)
}

func (c *client) crashDue() bool {
	return !c.nextCrash.IsZero() && !time.Now().Before(c.nextCrash)
}

// crashBetween records the current process's crash between two transactions (invoke, then
// info, as the queue's consumers do) and replaces the client.
func (c *client) crashBetween() error {
	v := workloads.CrashValue{Reason: workloads.CrashReason}
	inv, err := c.w.rec.Invoke(c.proc, history.FCrash, v)
	if err != nil {
		return fmt.Errorf("record crash invoke: %w", err)
	}
	c.closeClients()
	if _, err := c.w.rec.Complete(inv, history.Info, v, "crashed on purpose between transactions: producer and consumer closed, connections dropped"); err != nil {
		return fmt.Errorf("record crash completion: %w", err)
	}
	c.crashed()
	return c.open()
}

// crashed counts a crash and draws the next one.
func (c *client) crashed() {
	c.w.stats.crashes.Add(1)
	c.crashInTxn = false
	c.scheduleCrash(time.Now())
}

// plan draws a transaction: 1 to MaxMops mops, each a send of a new unique value to a random
// partition or a poll, and whether to abort it on purpose.
func (c *client) plan() plan {
	n := 1 + c.rng.Intn(c.w.cfg.MaxMops)
	p := plan{mops: make([]history.Mop, n), partitions: make([]int, n)}
	for i := range p.mops {
		if c.rng.Intn(2) == 0 {
			p.mops[i] = history.Poll()
			continue
		}
		part := c.rng.Intn(c.w.cfg.Partitions)
		value := fmt.Sprintf("v%d", c.w.values.Add(1))
		p.mops[i], p.partitions[i] = history.Send(workloads.Key(c.w.cfg.Topic, part), value), part
	}
	p.abort = c.rng.Float64() < c.w.cfg.AbortRate
	return p
}

// plan is one transaction to run.
type plan struct {
	mops       []history.Mop
	partitions []int // each send's partition
	abort      bool
}
