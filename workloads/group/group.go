package group

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/segmentio/kafka-go"
)

// Group-protocol timings: short, so a crashed member is evicted within seconds. The broker's
// group.min.session.timeout.ms is 6 s by default.
const (
	groupSessionTimeout   = 6 * time.Second
	groupRebalanceTimeout = 8 * time.Second
	groupHeartbeat        = time.Second
	groupCommitInterval   = 500 * time.Millisecond
	// groupRequestTimeout bounds a JoinGroup, which the coordinator holds until every member
	// has rejoined or the rebalance timeout passes.
	groupRequestTimeout = groupRebalanceTimeout + 5*time.Second
	coordinatorInterval = time.Second
)

// DefaultID is the consumer group of the group workload.
const DefaultID = "kafkaesque-group"

// Allowed are the checker anomalies a group run must allow: those of the queue's
// kafka-go producers (New refuses franz-go's).
func Allowed() map[checker.AnomalyType]string {
	return workloads.QueueAllowed(workloads.ProducerSettings{Client: workloads.ClientKafkaGo})
}

// Config configures the group workload: the queue's producers (Queue.Consumers must be
// 0) plus Members consumers in one consumer group.
type Config struct {
	Queue   workloads.QueueConfig
	GroupID string // default DefaultID
	Members int
}

// Values of the group ops (docs/history-format.md).
type (
	// RebalanceValue is a member's join and sync: the invoke carries Group and the member id it
	// rejoins with (empty when new); ok adds the generation, the assignment and where each
	// assigned partition resumes (its committed offset, -1 if none, and the start position).
	RebalanceValue struct {
		Group      string           `json:"group"`
		Member     string           `json:"member"`
		Generation int              `json:"generation,omitempty"`
		Leader     bool             `json:"leader,omitempty"`
		Partitions []string         `json:"partitions,omitempty"`
		Committed  map[string]int64 `json:"committed,omitempty"`
		Start      map[string]int64 `json:"start,omitempty"`
	}
	// CommitValue is an offset commit: the next offset to read of each key.
	CommitValue struct {
		Group      string           `json:"group"`
		Member     string           `json:"member"`
		Generation int              `json:"generation"`
		Offsets    map[string]int64 `json:"offsets"`
	}
	// PollInvoke is a member's poll invoke: the queue's (history.PollInvoke), plus who
	// polled in which generation.
	PollInvoke struct {
		Keys       []string         `json:"keys"`
		From       map[string]int64 `json:"from,omitempty"`
		Group      string           `json:"group"`
		Member     string           `json:"member"`
		Generation int              `json:"generation"`
	}
)

// Workload is the group workload. Run it, then Drain, then Close. Its members keep consuming
// after Run returns, until Drain has read every partition to its high watermark.
type Workload struct {
	cfg       Config
	queue     *workloads.Queue
	rec       *history.Recorder
	client    *kafka.Client
	transport *kafka.Transport
	members   []*member
	seed      int64

	stopMembers context.CancelFunc
	membersDone sync.WaitGroup
	pollStats   workloads.OpCounter

	mu       sync.Mutex
	consumed map[int]int64 // partition -> highest offset+1 read by any member
}

// New checks cfg and prepares the workload.
func New(cfg Config, rec *history.Recorder, rng *rand.Rand) (*Workload, error) {
	if cfg.GroupID == "" {
		cfg.GroupID = DefaultID
	}
	if cfg.Members < 1 {
		return nil, fmt.Errorf("group config: Members must be >= 1, got %d", cfg.Members)
	}
	if cfg.Queue.Consumers != 0 {
		return nil, errors.New("group config: the queue's consumers must be 0; the group's members consume")
	}
	if cfg.Queue.CrashInterval != 0 {
		return nil, errors.New("group config: CrashInterval crashes queue consumers, and a group has none (kill-group-leader crashes members)")
	}
	if cfg.Queue.Producer().Client != workloads.ClientKafkaGo {
		return nil, fmt.Errorf("group config: the group workload's producers are kafka-go's, got client %q", cfg.Queue.Client)
	}
	q, err := workloads.NewQueue(cfg.Queue, rec, rng)
	if err != nil {
		return nil, err
	}
	cfg.Queue = q.Config()
	g := &Workload{cfg: cfg, queue: q, rec: rec, seed: rng.Int63(), consumed: map[int]int64{}}
	g.client, g.transport = workloads.NewKafkaGoClient(cfg.Queue.Bootstrap, cfg.Queue.Topic, groupRequestTimeout)
	for i := range cfg.Members {
		g.members = append(g.members, &member{g: g, slot: i, rng: rand.New(rand.NewSource(rng.Int63()))})
	}
	return g, nil
}

// GroupID is the consumer group's id.
func (g *Workload) GroupID() string { return g.cfg.GroupID }

// Config returns the effective configuration.
func (g *Workload) Config() Config { return g.cfg }

// Stats returns the producers' sends and the members' polls.
func (g *Workload) Stats() workloads.Stats {
	s := g.queue.Stats()
	s.Poll = g.pollStats.Snapshot()
	return s
}

// Run starts the members and the coordinator watch, and drives the producers until ctx ends
// or MaxSends is reached. The members keep running until Drain or Close.
func (g *Workload) Run(ctx context.Context) error {
	membersCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	g.stopMembers = stop
	for _, m := range g.members {
		g.membersDone.Go(func() { m.run(membersCtx) })
	}
	g.membersDone.Go(func() { g.watchCoordinator(membersCtx) })
	return g.queue.Run(ctx)
}

// Drain restarts crashed members, lets the group consume every partition up to the high
// watermark it has now, stops the members, then reads every partition from its start as the
// queue's drain does. The error wraps workloads.ErrDrainIncomplete when either fell short.
func (g *Workload) Drain(ctx context.Context, limit time.Duration) (workloads.DrainResult, error) {
	deadline := time.Now().Add(limit)
	for _, m := range g.members {
		_ = m.restart()
	}
	var groupErr error
	targets, err := g.highWatermarks(ctx)
	if err != nil {
		groupErr = err
	} else {
		groupErr = g.waitConsumed(ctx, targets, time.Until(deadline)/2)
	}
	g.stop()
	res, err := g.queue.Drain(ctx, max(time.Until(deadline), limit/2))
	return res, errors.Join(groupErr, err)
}

func (g *Workload) highWatermarks(ctx context.Context) (map[int]int64, error) {
	out := map[int]int64{}
	for p := range g.cfg.Queue.Partitions {
		opCtx, cancel := context.WithTimeout(ctx, g.cfg.Queue.OpTimeout)
		_, hwm, err := g.queue.OffsetRange(opCtx, p)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("group drain: %w", err)
		}
		out[p] = hwm
	}
	return out, nil
}

// waitConsumed waits until the members have read each partition up to its target.
func (g *Workload) waitConsumed(ctx context.Context, targets map[int]int64, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		var short []string
		g.mu.Lock()
		for p, hwm := range targets {
			if g.consumed[p] < hwm {
				short = append(short, fmt.Sprintf("%s at %d of %d", workloads.Key(g.cfg.Queue.Topic, p), g.consumed[p], hwm))
			}
		}
		g.mu.Unlock()
		if len(short) == 0 {
			return nil
		}
		if !workloads.Sleep(ctx, 200*time.Millisecond) {
			return fmt.Errorf("%w: the group did not consume %v within %s", workloads.ErrDrainIncomplete, short, limit)
		}
	}
}

// stop ends the members and the coordinator watch, and waits for them.
func (g *Workload) stop() {
	if g.stopMembers != nil {
		g.stopMembers()
	}
	for _, m := range g.members {
		m.wake()
	}
	g.membersDone.Wait()
}

// Close stops the members and releases connections.
func (g *Workload) Close() error {
	g.stop()
	g.transport.CloseIdleConnections()
	return g.queue.Close()
}

// CrashLeader crashes the member that leads the group now (nemesis.GroupMembers).
// Between generations no member leads, so it waits up to a rebalance timeout for one.
func (g *Workload) CrashLeader(ctx context.Context) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, groupRequestTimeout)
	defer cancel()
	for {
		for _, m := range g.members {
			if id, proc, ok := m.crashIfLeader(); ok {
				return id, proc, nil
			}
		}
		if !workloads.Sleep(ctx, 100*time.Millisecond) {
			return "", 0, fmt.Errorf("no member led the group within %s (a rebalance in progress?)", groupRequestTimeout)
		}
	}
}

// Restart restarts the crashed member that had the given id (nemesis.GroupMembers).
func (g *Workload) Restart(ctx context.Context, memberID string) error {
	for _, m := range g.members {
		if m.crashedID() == memberID {
			return m.restart()
		}
	}
	return fmt.Errorf("no crashed member %q", memberID)
}

func (g *Workload) noteConsumed(partition int, next int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.consumed[partition] = max(g.consumed[partition], next)
}

// watchCoordinator records a FindCoordinator look-up every second, so the history shows when
// the group's coordinator moved.
func (g *Workload) watchCoordinator(ctx context.Context) {
	rng := rand.New(rand.NewSource(g.seed))
	proc := g.cfg.Queue.Processes.Next()
	for workloads.SleepJitter(ctx, rng, coordinatorInterval) {
		inv, err := g.rec.Invoke(proc, history.FCoordinator, workloads.CoordinatorValue{Group: g.cfg.GroupID})
		if err != nil {
			return
		}
		opCtx, cancel := context.WithTimeout(ctx, g.cfg.Queue.OpTimeout)
		coord, err := g.lookupCoordinator(opCtx)
		cancel()
		if err != nil {
			// A look-up changes nothing, so a failed one is a definite fail.
			if _, rerr := g.rec.Complete(inv, history.Fail, nil, err.Error()); rerr != nil {
				return
			}
			continue
		}
		id := coord.NodeID
		if _, err := g.rec.Complete(inv, history.OK, workloads.CoordinatorValue{Group: g.cfg.GroupID, Broker: &id}, ""); err != nil {
			return
		}
	}
}

// lookupCoordinator asks a broker which broker coordinates the group.
func (g *Workload) lookupCoordinator(ctx context.Context) (*kafka.FindCoordinatorResponseCoordinator, error) {
	res, err := g.client.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: g.cfg.GroupID, KeyType: kafka.CoordinatorKeyTypeConsumer})
	if err == nil && res.Error != nil {
		err = res.Error
	}
	if err == nil && res.Coordinator == nil {
		err = errors.New("no coordinator in the response")
	}
	if err != nil {
		return nil, fmt.Errorf("find the coordinator of group %s: %w", g.cfg.GroupID, err)
	}
	return res.Coordinator, nil
}

func (g *Workload) findCoordinator(ctx context.Context) (net.Addr, error) {
	c, err := g.lookupCoordinator(ctx)
	if err != nil {
		return nil, err
	}
	return kafka.TCP(net.JoinHostPort(c.Host, strconv.Itoa(c.Port))), nil
}

// WaitCoordinator waits until the group has a coordinator. The first look-up creates
// __consumer_offsets, so coordinator faults have a target from the start of the fault phase.
func (g *Workload) WaitCoordinator(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		opCtx, opCancel := context.WithTimeout(ctx, g.cfg.Queue.OpTimeout)
		_, err := g.lookupCoordinator(opCtx)
		opCancel()
		if err == nil {
			return nil
		}
		if !workloads.Sleep(ctx, 250*time.Millisecond) {
			return fmt.Errorf("group %s has no coordinator after %s: %w", g.cfg.GroupID, limit, err)
		}
	}
}
