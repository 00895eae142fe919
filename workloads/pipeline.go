package workloads

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kgo"
)

// pipeline drives one franz-go producer's InFlight sends from kgo's promises: a slot's next send
// is invoked when its previous one completes, in the promise itself, so a fast run spends no
// goroutine switch, channel or timer per send. Each slot is a process of its own (one op
// outstanding); kgo batches what the slots queue for one partition into one produce request,
// and each record's promise still gives its exact offset. A send with no outcome after
// OpTimeout is recorded as info by a sweeper, and its slot goes on under a new process; a
// promise that comes later is ignored (the record may still be appended: info says so).
type pipeline struct {
	q        *Queue
	producer int
	p        *franzProducer
	pace     *pacer
	ctx      context.Context // the run: once it ends no send is invoked
	slots    []*pipeSlot

	mu     sync.Mutex
	active int           // slots not yet finished
	idle   chan struct{} // closed when active reaches 0
	err    error         // the first recording error
}

type pipeSlot struct {
	mu       sync.Mutex
	rng      *rand.Rand // the slot's own choices: partitions and backoff jitter
	proc     int
	gen      uint64 // the send in flight; a promise of an earlier one is late
	inFlight bool
	deadline time.Time
	inv      history.Op
	rec      *kgo.Record
}

// maxBufferedRecords is kgo's buffer bound for a pipeline of n slots: far above what n slots keep
// outstanding, so that a send from inside a promise does not wait on the buffer (which kgo warns
// can deadlock its promise worker); sends from elsewhere may wait.
func maxBufferedRecords(n int) int { return 16*n + 10_000 }

func (q *Queue) newPipeline(ctx context.Context, producer int, seed int64) *pipeline {
	pl := &pipeline{q: q, producer: producer, p: q.franz[producer], pace: newPacer(q.cfg.Rate), ctx: ctx,
		idle: make(chan struct{})}
	for slot := range q.cfg.InFlight {
		pl.slots = append(pl.slots, &pipeSlot{rng: rand.New(rand.NewPCG(uint64(seed), uint64(slot))), proc: q.cfg.Processes.Next()})
	}
	pl.active = len(pl.slots)
	return pl
}

// run starts every slot and returns when all have finished: the run ended (or MaxSends was
// reached) and every send it invoked has an outcome, or a recording error.
func (pl *pipeline) run() error {
	if len(pl.slots) == 0 {
		return nil
	}
	for _, s := range pl.slots {
		go pl.next(s, 0, false)
	}
	tick := time.NewTicker(max(min(pl.q.cfg.OpTimeout/10, 100*time.Millisecond), time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-pl.idle:
			pl.mu.Lock()
			defer pl.mu.Unlock()
			return pl.err
		case now := <-tick.C:
			for _, s := range pl.slots {
				pl.sweep(s, now)
			}
		}
	}
}

// fail keeps the first recording error; every slot then stops at its next send.
func (pl *pipeline) fail(err error) {
	pl.mu.Lock()
	if pl.err == nil {
		pl.err = err
	}
	pl.mu.Unlock()
}

func (pl *pipeline) failed() bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.err != nil
}

// finish marks a slot done for good.
func (pl *pipeline) finish() {
	pl.mu.Lock()
	pl.active--
	if pl.active == 0 {
		close(pl.idle)
	}
	pl.mu.Unlock()
}

// next invokes the slot's next send after wait (and the pace), or finishes the slot. inPromise
// says it runs inside kgo's promise worker, where it must not block.
func (pl *pipeline) next(s *pipeSlot, wait time.Duration, inPromise bool) {
	wait += pl.pace.reserve()
	if wait > 0 {
		time.AfterFunc(wait, func() { pl.send(s, false) })
		return
	}
	pl.send(s, inPromise)
}

func (pl *pipeline) send(s *pipeSlot, inPromise bool) {
	q := pl.q
	if pl.ctx.Err() != nil || pl.failed() {
		pl.finish()
		return
	}
	n := q.sends.Add(1)
	if q.cfg.MaxSends > 0 && n > int64(q.cfg.MaxSends) {
		pl.finish()
		return
	}
	s.mu.Lock()
	partition := s.rng.IntN(q.cfg.Partitions)
	key, value := Key(q.cfg.Topic, partition), "v"+strconv.FormatInt(n, 10)
	inv, err := q.rec.Invoke(s.proc, history.FSend, history.SendValue{Key: key, Value: value})
	if err != nil {
		s.mu.Unlock()
		pl.fail(fmt.Errorf("producer %d: record send invoke: %w", pl.producer, err))
		pl.finish()
		return
	}
	q.stats.send.invoked.Add(1)
	s.gen++
	gen := s.gen
	s.inFlight, s.inv, s.deadline = true, inv, time.Now().Add(q.cfg.OpTimeout)
	s.rec = &kgo.Record{Topic: pl.p.topic, Partition: int32(partition), Value: []byte(value)}
	rec := s.rec
	s.mu.Unlock()
	promise := func(r *kgo.Record, err error) { pl.done(s, gen, partition, r, err) }
	switch {
	case !inPromise:
		pl.p.client.Produce(context.Background(), rec, promise)
	case pl.p.client.BufferedProduceRecords() < int64(maxBufferedRecords(len(pl.slots)))/2:
		pl.p.client.TryProduce(context.Background(), rec, promise)
	default: // a full buffer: wait for room outside the promise worker
		go pl.p.client.Produce(context.Background(), rec, promise)
	}
}

// done is a send's promise: it records the outcome unless the sweeper already did.
func (pl *pipeline) done(s *pipeSlot, gen uint64, partition int, r *kgo.Record, err error) {
	s.mu.Lock()
	if !s.inFlight || s.gen != gen {
		s.mu.Unlock() // late: recorded as info when its op timeout passed
		return
	}
	offset, err := pl.p.acknowledged(r, partition, err)
	typ := classifyFranzSend(err)
	if errors.Is(err, kgo.ErrMaxBuffered) {
		typ = history.Fail // refused before it was buffered: never sent
	}
	pl.complete(s, typ, offset, err)
	wait := time.Duration(0)
	if typ != history.OK {
		wait = jitter(s.rng, errorBackoff)
	}
	s.mu.Unlock()
	pl.next(s, wait, true)
}

// sweep records as info a send whose op timeout has passed with no promise.
func (pl *pipeline) sweep(s *pipeSlot, now time.Time) {
	s.mu.Lock()
	if !s.inFlight || now.Before(s.deadline) {
		s.mu.Unlock()
		return
	}
	pl.complete(s, history.Info, 0, errNoOutcome)
	wait := jitter(s.rng, errorBackoff)
	s.mu.Unlock()
	pl.next(s, wait, false)
}

// complete records the slot's send's outcome; s.mu is held. After anything but ok the slot
// goes on as a new process.
func (pl *pipeline) complete(s *pipeSlot, typ history.Type, offset int64, sendErr error) {
	q := pl.q
	s.inFlight = false
	sent := history.SendValue{Key: Key(q.cfg.Topic, int(s.rec.Partition)), Value: string(s.rec.Value)}
	msg := ""
	if typ == history.OK {
		sent.Offset = &offset
		q.noteAck(int(s.rec.Partition), offset)
	} else {
		msg = sendErr.Error()
	}
	if _, err := q.rec.Complete(s.inv, typ, sent, msg); err != nil {
		pl.fail(fmt.Errorf("producer %d: record send completion: %w", pl.producer, err))
	}
	q.stats.send.complete(typ)
	if typ != history.OK {
		s.proc = q.cfg.Processes.Next()
	}
}

// jitter is d/2 to 3d/2.
func jitter(rng *rand.Rand, d time.Duration) time.Duration {
	return d/2 + time.Duration(rng.Int64N(int64(d)+1))
}
