package workloads

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
)

// CrashReason is the reason a crash op records: the consumer crashed on purpose, as Jepsen's
// crash-client does.
const CrashReason = "crash-client"

// CrashValue is the value of a crash op, the same on its invoke and its info.
type CrashValue struct {
	Reason string `json:"reason"`
}

// consumer is one queue consumer: its own client and connections, the process id it records
// under now, and its read positions. Positions survive process changes and crashes: they
// belong to the consumer, and starting over would make polls go backwards.
type consumer struct {
	q         *Queue
	rng       *rand.Rand // used by the consumer's goroutine only
	client    *kafka.Client
	transport *kafka.Transport
	proc      int
	positions []int64   // partition -> next offset to read
	next      int       // the partition it polls next: each in turn
	nextCrash time.Time // zero: never
}

func (q *Queue) newConsumer(seed int64) *consumer {
	c := &consumer{q: q, rng: rand.New(rand.NewSource(seed)), positions: make([]int64, q.cfg.Partitions)}
	c.client, c.transport = newClient(q.cfg.Bootstrap, q.cfg.Topic, q.cfg.OpTimeout)
	c.proc = q.cfg.Processes.Next()
	c.next = c.rng.Intn(q.cfg.Partitions)
	c.scheduleCrash(time.Now())
	return c
}

// run polls each partition in turn (from a random first one), from where this consumer last
// read it, and crashes when a crash is due, until ctx ends: a partition whose leader is cut off
// holds up one poll in every round, not the consumer. It returns only a recording error.
func (c *consumer) run(ctx context.Context) error {
	defer func() { c.transport.CloseIdleConnections() }()
	for ctx.Err() == nil {
		if !c.nextCrash.IsZero() && !time.Now().Before(c.nextCrash) {
			if err := c.crash(); err != nil {
				return err
			}
		}
		p := c.next
		c.next = (c.next + 1) % c.q.cfg.Partitions
		typ, _, err := c.q.poll(ctx, pollArgs{client: c.client, proc: c.proc, partition: p, position: &c.positions[p], maxWait: pollMaxWait})
		if err != nil {
			return err
		}
		if typ != history.OK {
			c.proc = c.q.cfg.Processes.Next()
			sleepJitter(ctx, c.rng, errorBackoff)
		}
	}
	return nil
}

// scheduleCrash draws the next crash time, exponentially distributed after now.
func (c *consumer) scheduleCrash(now time.Time) {
	c.nextCrash = NextCrash(c.rng, now, c.q.cfg.CrashInterval)
}

// NextCrash draws a client's next deliberate crash (Jepsen's crash-client): exponentially
// distributed after now with the given mean; the zero time when mean is not positive (never).
func NextCrash(rng *rand.Rand, now time.Time, mean time.Duration) time.Time {
	if mean <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(rng.ExpFloat64() * float64(mean)))
}

// crash records the current process's crash (invoke, then info), drops the client and its
// connections, and goes on with a new client under a new process id, keeping its positions.
// It is called between ops, so the dying process has nothing outstanding.
func (c *consumer) crash() error {
	v := CrashValue{Reason: CrashReason}
	inv, err := c.q.rec.Invoke(c.proc, history.FCrash, v)
	if err != nil {
		return fmt.Errorf("record crash invoke: %w", err)
	}
	c.transport.CloseIdleConnections()
	c.client, c.transport = newClient(c.q.cfg.Bootstrap, c.q.cfg.Topic, c.q.cfg.OpTimeout)
	if _, err := c.q.rec.Complete(inv, history.Info, v, "crashed on purpose: client closed, connections dropped"); err != nil {
		return fmt.Errorf("record crash completion: %w", err)
	}
	c.q.stats.crashes.Add(1)
	c.proc = c.q.cfg.Processes.Next() // a process never carries on after an info
	c.scheduleCrash(time.Now())
	return nil
}
