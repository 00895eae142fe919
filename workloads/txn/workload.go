package txn

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TxnIDPrefix prefixes every transactional id: client slot i is "kafkaesque-txn-<i>".
const TxnIDPrefix = "kafkaesque-txn-"

// Workload is the txn workload. Run it once, then Drain, then Close.
type Workload struct {
	cfg Config
	rec *history.Recorder
	// admin is a plain (non-transactional) client for coordinator look-ups and the drain.
	admin *kgo.Client
	// open builds a slot's producer and consumer: franz-go's, or a test's fakes.
	open                 opener
	clients              []*client
	watchSeed, drainSeed int64

	values atomic.Int64 // unique values handed out
	// acked is, per partition, the highest offset a send was acknowledged at (-1: none), in any
	// transaction: aborted records keep their offsets too, so the drain waits for a watermark
	// past it as the queue's drain does.
	acked []atomic.Int64
	holds holds
	// conns holds producers' requests (HoldRequests); procs finds a held producer's process.
	conns    connHolds
	procs    processes
	brokerOf func(ctx context.Context, addr string) (int, error) // tests: the broker at addr
	stats    counters
	ran      atomic.Bool
}

// New checks cfg and prepares the workload; rng seeds every client's choices.
func New(cfg Config, rec *history.Recorder, rng *rand.Rand) (*Workload, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if rec == nil || rng == nil {
		return nil, errors.New("new txn workload: recorder and rng are required")
	}
	admin, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	w := newWorkload(cfg, rec, rng, admin, nil)
	w.open = franzOpener{cfg: cfg, conns: &w.conns}
	return w, nil
}

// newWorkload builds the workload around a checked cfg; tests pass fakes as open.
func newWorkload(cfg Config, rec *history.Recorder, rng *rand.Rand, admin *kgo.Client, open opener) *Workload {
	w := &Workload{cfg: cfg, rec: rec, admin: admin, open: open, acked: make([]atomic.Int64, cfg.Partitions)}
	for i := range w.acked {
		w.acked[i].Store(-1)
	}
	w.holds.held = map[string]*hold{}
	for slot := range cfg.Clients {
		w.clients = append(w.clients, &client{w: w, slot: slot, txnID: fmt.Sprintf("%s%d", TxnIDPrefix, slot),
			rng: rand.New(rand.NewSource(rng.Int63()))})
	}
	w.watchSeed, w.drainSeed = rng.Int63(), rng.Int63()
	return w
}

// Config returns the effective configuration, defaults filled in.
func (w *Workload) Config() Config { return w.cfg }

// TransactionalIDs are the clients' transactional ids, one per client slot; a replaced client
// keeps its slot's id.
func (w *Workload) TransactionalIDs() []string {
	ids := make([]string, len(w.clients))
	for i, c := range w.clients {
		ids[i] = c.txnID
	}
	return ids
}

// Run drives the clients and the coordinator watch until ctx ends. A transaction under way
// when ctx ends sends nothing more: it is aborted (or, if its mops were done, committed), each
// step bounded by OpTimeout, so Run returns within a few op timeouts of ctx's end. A client held
// by Pause is let go when ctx ends. The error is non-nil only if the history could not be
// recorded or a client could not be built.
func (w *Workload) Run(ctx context.Context) error {
	if !w.ran.CompareAndSwap(false, true) {
		return errors.New("txn workload: Run called twice")
	}
	w.stats.start.CompareAndSwap(0, time.Now().UnixNano())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		once sync.Once
		fail error
	)
	stop := func(err error) { once.Do(func() { fail = err; cancel() }) }
	for _, c := range w.clients {
		wg.Go(func() {
			if err := c.run(ctx); err != nil {
				stop(fmt.Errorf("client %s: %w", c.txnID, err))
			}
		})
	}
	if w.admin != nil {
		rng := rand.New(rand.NewSource(w.watchSeed))
		for _, c := range w.clients {
			seed := rng.Int63()
			wg.Go(func() {
				if err := w.watchCoordinator(ctx, c.txnID, rand.New(rand.NewSource(seed))); err != nil {
					stop(err)
				}
			})
		}
	}
	wg.Wait()
	return fail
}

// Close releases held clients and the admin client; the clients close their own when Run ends.
func (w *Workload) Close() error {
	w.holds.releaseAll()
	err := w.conns.releaseAll()
	if w.admin != nil {
		w.admin.Close()
	}
	return err
}

// Stats returns a snapshot of the counters; safe to call at any time.
func (w *Workload) Stats() workloads.Stats {
	s := workloads.Stats{Poll: w.stats.drain.snapshot(), Processes: w.cfg.Processes.Allocated(),
		Crashes: w.stats.crashes.Load(), Txn: w.stats.txn.snapshot()}
	if start := w.stats.start.Load(); start != 0 {
		s.Elapsed = time.Since(time.Unix(0, start))
	}
	return s
}

// noteAck raises partition's highest acknowledged offset to offset.
func (w *Workload) noteAck(partition int, offset int64) {
	a := &w.acked[partition]
	for cur := a.Load(); offset > cur && !a.CompareAndSwap(cur, offset); cur = a.Load() {
	}
}

// counters are updated by every client and read by Stats concurrently.
type counters struct {
	start   atomic.Int64 // unix nanoseconds when Run began, 0 before
	txn     txnCounters
	drain   pollCounters
	crashes atomic.Int64
}

type txnCounters struct {
	invoked, committed, info, abortedOnPurpose, abortedAfterError, sends, polls atomic.Int64
}

func (c *txnCounters) snapshot() workloads.TxnCounts {
	return workloads.TxnCounts{Invoked: c.invoked.Load(), Committed: c.committed.Load(), Info: c.info.Load(),
		AbortedOnPurpose: c.abortedOnPurpose.Load(), AbortedAfterError: c.abortedAfterError.Load(),
		Sends: c.sends.Load(), Polls: c.polls.Load()}
}

// complete counts a transaction's outcome; a fail is on purpose when it was planned and
// nothing else went wrong.
func (c *txnCounters) complete(typ history.Type, onPurpose bool) {
	switch {
	case typ == history.OK:
		c.committed.Add(1)
	case typ == history.Info:
		c.info.Add(1)
	case onPurpose:
		c.abortedOnPurpose.Add(1)
	default:
		c.abortedAfterError.Add(1)
	}
}

// pollCounters count the drain's polls.
type pollCounters struct{ invoked, ok, fail atomic.Int64 }

func (c *pollCounters) snapshot() workloads.OpCounts {
	return workloads.OpCounts{Invoked: c.invoked.Load(), OK: c.ok.Load(), Fail: c.fail.Load()}
}
