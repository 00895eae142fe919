// Package workloads drives Kafka clients against a cluster and records what
// they did in a history (docs/history-format.md). The queue workload sends
// unique values to partitions and polls them back.
package workloads

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"
)

// RecordsPerProduceRequest is the queue workload's batching: every send is
// one record in one Produce request, so the broker's BaseOffset is that
// record's offset. Baseline mirrors it.
const RecordsPerProduceRequest = 1

// Defaults for the zero values of QueueConfig.
const (
	DefaultOpTimeout    = 5 * time.Second
	DefaultSendAttempts = 3
	// errorBackoff is the pause after an info or fail, so a dead leader
	// does not turn the history into a stream of refused dials.
	errorBackoff = 100 * time.Millisecond
	// pollMaxWait is how long a broker may hold a poll with no new records.
	pollMaxWait = 250 * time.Millisecond
	// ErrorBackoff and PollMaxWait are errorBackoff and pollMaxWait, for the group workload's
	// members (workloads/group), which back off and poll as the queue's consumers do.
	ErrorBackoff = errorBackoff
	PollMaxWait  = pollMaxWait
)

// QueueConfig configures the queue workload.
type QueueConfig struct {
	Bootstrap  []string // broker addresses, host:port
	Topic      string
	Partitions int  // partitions 0..Partitions-1 of Topic are used
	Acks       Acks // required; the zero value is rejected
	Producers  int
	Consumers  int
	// MaxSends caps the number of sends invoked by all producers together;
	// 0 means no cap (Run then lasts until ctx ends).
	MaxSends int
	// Rate limits each producer to this many sends per second, its in-flight sends together;
	// 0 means no limit.
	Rate float64
	// InFlight is how many sends each producer has outstanding at once; default 1. Each is a
	// process of its own (a process has one op outstanding), sharing the producer's client:
	// franz-go batches what they send to one partition into one produce request, and each
	// record's promise still gives its exact offset. kafka-go sends each in a request of its own.
	InFlight int
	// OpTimeout bounds every client operation, a send's retries included; default DefaultOpTimeout.
	OpTimeout time.Duration
	// SendAttempts is how many times one kafka-go send tries before it gives up, as kafka-go's
	// Writer retries (MaxAttempts) after retriable errors; default DefaultSendAttempts. Retries
	// are why duplicates are expected: an attempt that timed out may still have been appended.
	// franz-go sends are tried once by the workload and retried by kgo (ProducerSettings).
	SendAttempts int
	// Client drives the producers; the zero value is kafka-go. Consumers and the drain always
	// read with kafka-go: a fetch by offset is the same whichever client wrote the records.
	Client Client
	// Idempotent makes franz-go's producers idempotent (it needs AcksAll); kafka-go's cannot
	// be. The harness and the CLI turn it on for franz-go unless told otherwise.
	Idempotent bool
	// Processes allocates process ids; nil means the queue has its own.
	// Share one allocator between all workloads of a run.
	Processes *ProcessIDs
	// CrashInterval is the mean time between crashes of each consumer (Jepsen's crash-client,
	// consumer.go), exponentially distributed; 0 means consumers never crash.
	CrashInterval time.Duration
}

// filled is c with its zero fields' defaults.
func (c QueueConfig) filled() QueueConfig {
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.SendAttempts <= 0 {
		c.SendAttempts = DefaultSendAttempts
	}
	if c.InFlight == 0 {
		c.InFlight = 1
	}
	if c.Processes == nil {
		c.Processes = new(ProcessIDs)
	}
	return c
}

func (c QueueConfig) withDefaults() (QueueConfig, error) {
	c = c.filled()
	switch {
	case len(c.Bootstrap) == 0:
		return c, errors.New("queue config: no bootstrap servers")
	case c.Topic == "":
		return c, errors.New("queue config: no topic")
	case c.Partitions < 1:
		return c, fmt.Errorf("queue config: Partitions must be >= 1, got %d", c.Partitions)
	case !c.Acks.Valid():
		return c, fmt.Errorf("queue config: acks %s: set it to 0, 1 or all", c.Acks)
	case c.Producers < 0 || c.Consumers < 0:
		return c, fmt.Errorf("queue config: negative client count (producers %d, consumers %d)", c.Producers, c.Consumers)
	case c.InFlight < 0:
		return c, fmt.Errorf("queue config: InFlight must be >= 1, got %d", c.InFlight)
	case c.MaxSends < 0 || c.Rate < 0 || c.OpTimeout < 0:
		return c, errors.New("queue config: MaxSends, Rate and OpTimeout must not be negative")
	case c.CrashInterval < 0:
		return c, fmt.Errorf("queue config: CrashInterval must not be negative, got %s (0: consumers never crash)", c.CrashInterval)
	case c.CrashInterval > 0 && c.Consumers == 0:
		return c, fmt.Errorf("queue config: CrashInterval %s crashes consumers, but there are none", c.CrashInterval)
	}
	return c, c.CheckClient()
}

// Queue is the queue workload. Run it once, then Drain, then Close.
type Queue struct {
	cfg QueueConfig
	rec *history.Recorder
	// client and transport serve the producers and the drain; each consumer has its own, so
	// that crashing one drops its connections only.
	client    *kafka.Client
	transport *kafka.Transport
	// franz holds each producer's franz-go client when Client is franz.
	franz []*franzProducer
	// Seeds of the clients' own rands, drawn from the caller's rng up front
	// because a *rand.Rand is not safe for concurrent use.
	producerSeeds, consumerSeeds []int64
	drainSeed                    int64

	sends atomic.Int64 // sends invoked, for MaxSends and unique values
	// acked is, per partition, the highest offset a send was acknowledged at (-1: none): the
	// drain gives a lagging high watermark time to reach it before taking the end as final.
	acked []atomic.Int64
	stats counters
	ran   sync.Once
}

// noteAck raises partition's highest acknowledged offset to offset.
func (q *Queue) noteAck(partition int, offset int64) {
	a := &q.acked[partition]
	for cur := a.Load(); offset > cur && !a.CompareAndSwap(cur, offset); cur = a.Load() {
	}
}

// NewQueue checks cfg and prepares the workload. rng seeds every client's
// choices (partitions, backoff jitter).
func NewQueue(cfg QueueConfig, rec *history.Recorder, rng *rand.Rand) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if rec == nil || rng == nil {
		return nil, errors.New("new queue: recorder and rng are required")
	}
	q := &Queue{cfg: cfg, rec: rec, acked: make([]atomic.Int64, cfg.Partitions)}
	for i := range q.acked {
		q.acked[i].Store(-1)
	}
	q.client, q.transport = newClient(cfg.Bootstrap, cfg.Topic, cfg.OpTimeout)
	if cfg.Client == ClientFranz {
		for i := range cfg.Producers {
			p, err := newFranzProducer(cfg, i)
			if err != nil {
				q.Close()
				return nil, err
			}
			q.franz = append(q.franz, p)
		}
	}
	for range cfg.Producers {
		q.producerSeeds = append(q.producerSeeds, rng.Int63())
	}
	for range cfg.Consumers {
		q.consumerSeeds = append(q.consumerSeeds, rng.Int63())
	}
	q.drainSeed = rng.Int63()
	return q, nil
}

// Config returns the effective configuration, defaults filled in.
func (q *Queue) Config() QueueConfig { return q.cfg }

// Stats returns a snapshot of the counters; safe to call at any time.
func (q *Queue) Stats() Stats {
	s := Stats{Send: q.stats.send.snapshot(), Poll: q.stats.poll.snapshot(), Processes: q.cfg.Processes.Allocated(),
		Crashes: q.stats.crashes.Load()}
	if start := q.stats.start.Load(); start != 0 {
		s.Elapsed = time.Since(time.Unix(0, start))
	}
	return s
}

// Close releases the producers' and the drain's connections; each consumer closes its own
// when it stops.
func (q *Queue) Close() error {
	q.transport.CloseIdleConnections()
	for _, p := range q.franz {
		p.close()
	}
	return nil
}

// Run drives the producers and consumers until ctx ends or MaxSends sends
// have been invoked. When it returns every client has stopped and every op
// it invoked is completed: a send in flight when ctx ends runs on to its outcome, for at most
// OpTimeout; a poll is cut off as info. The error is
// non-nil only if the history could not be recorded.
func (q *Queue) Run(ctx context.Context) error {
	first := false
	q.ran.Do(func() { first = true })
	if !first {
		return errors.New("queue: Run called twice")
	}
	q.stats.start.CompareAndSwap(0, time.Now().UnixNano())
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	consumerCtx, stopConsumers := context.WithCancel(ctx)
	defer stopConsumers()

	var recordErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { recordErr = err; cancel(err) }) }

	var producers, consumers sync.WaitGroup
	for i, seed := range q.producerSeeds {
		producers.Go(func() {
			if q.franz != nil {
				if err := q.newPipeline(ctx, i, seed).run(); err != nil {
					fail(err)
				}
				return
			}
			if err := q.produce(ctx, i, seed); err != nil {
				fail(err)
			}
		})
	}
	for _, seed := range q.consumerSeeds {
		consumers.Go(func() {
			if err := q.newConsumer(seed).run(consumerCtx); err != nil {
				fail(err)
			}
		})
	}
	producers.Wait()
	if q.cfg.Producers > 0 {
		stopConsumers() // MaxSends reached or ctx ended: the run is over
	}
	consumers.Wait()
	return recordErr
}

// produce runs one kafka-go producer's InFlight send loops, sharing its client and its pace.
// Slot 0 draws from the producer's own seed, so a run with one send in flight is as before.
// (franz-go's producers run as a pipeline: pipeline.go.)
func (q *Queue) produce(ctx context.Context, producer int, seed int64) error {
	pace := newPacer(q.cfg.Rate)
	var g errgroup.Group
	for slot := range q.cfg.InFlight {
		rng := rand.New(rand.NewSource(seed + int64(slot)))
		g.Go(func() error { return q.sendLoop(ctx, producer, pace, rng) })
	}
	return g.Wait()
}

// sendLoop is one in-flight slot of a producer: pick a partition, send the next unique value,
// repeat. It returns only a recording error.
func (q *Queue) sendLoop(ctx context.Context, producer int, pace *pacer, rng *rand.Rand) error {
	proc := q.cfg.Processes.Next()
	for pace.wait(ctx) {
		n := q.sends.Add(1)
		if q.cfg.MaxSends > 0 && n > int64(q.cfg.MaxSends) {
			return nil
		}
		typ, err := q.send(ctx, rng, producer, proc, rng.Intn(q.cfg.Partitions), "v"+strconv.FormatInt(n, 10))
		if err != nil {
			return fmt.Errorf("producer %d: %w", producer, err)
		}
		if typ != history.OK {
			proc = q.cfg.Processes.Next()
			sleepJitter(ctx, rng, errorBackoff)
		}
	}
	return nil
}

// send records and performs one send by producer.
func (q *Queue) send(ctx context.Context, rng *rand.Rand, producer, proc, partition int, value string) (history.Type, error) {
	key := Key(q.cfg.Topic, partition)
	inv, err := q.rec.Invoke(proc, history.FSend, history.SendValue{Key: key, Value: value})
	if err != nil {
		return "", fmt.Errorf("record send invoke: %w", err)
	}
	q.stats.send.invoked.Add(1)
	// A send in flight when the run ends gets its whole op timeout: cutting it off would only
	// turn an outcome the cluster is about to give into an unknown one.
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.cfg.OpTimeout)
	offset, typ, sendErr := q.produceWithRetries(opCtx, rng, partition, value)
	cancel()
	done := history.SendValue{Key: key, Value: value}
	msg := ""
	if typ == history.OK {
		done.Offset = &offset
		q.noteAck(partition, offset)
	} else {
		msg = sendErr.Error()
	}
	if _, err := q.rec.Complete(inv, typ, done, msg); err != nil {
		return "", fmt.Errorf("record send completion: %w", err)
	}
	q.stats.send.complete(typ)
	return typ, nil
}

// produceWithRetries tries one send up to SendAttempts times while its error is retriable and
// time remains. The outcome is ok if an attempt was acknowledged; otherwise info if any attempt
// may have been appended, and fail only if none was.
func (q *Queue) produceWithRetries(ctx context.Context, rng *rand.Rand, partition int, value string) (int64, history.Type, error) {
	outcome := history.Fail
	var errs []error
	for attempt := 1; attempt <= q.cfg.SendAttempts; attempt++ {
		offset, err := produceOne(ctx, q.client, q.cfg.Topic, partition, q.cfg.Acks, value)
		typ := classifySend(err)
		if typ == history.OK {
			return offset, history.OK, nil
		}
		if typ == history.Info {
			outcome = history.Info
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
		if !retriable(err) || ctx.Err() != nil {
			break
		}
		sleepJitter(ctx, rng, errorBackoff)
	}
	return 0, outcome, errors.Join(errs...)
}
