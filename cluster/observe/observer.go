// Package observe records a Kafka cluster's elections into an election log (electionlog): every
// change of the controller and of the watched topics' partition state, from ZooKeeper or the
// KRaft quorum and from each broker's own metadata. It reads the cluster through plain
// endpoints (Target), so it needs nothing from the cluster package.
package observe

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kafkaesque/kafkaesque/cluster/kafkastate"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// Target is what the observer reads: the cluster's nodes as plain endpoints.
type Target struct {
	// KRaft says the cluster keeps its metadata in a KRaft quorum, not in ZooKeeper.
	KRaft bool
	// ZooKeeper is the ensemble's addresses (ZooKeeper mode).
	ZooKeeper []string
	// Voters are the KRaft controller voters at their controller listener (KRaft mode).
	Voters []kafkastate.Endpoint
	// Brokers are the brokers at their broker listener.
	Brokers []kafkastate.Endpoint
	// Partitions is the number of partitions of each topic the cluster created (KRaft mode
	// asks each broker for those partitions' high watermarks).
	Partitions map[string]int
	// FetchTimeout is controller.quorum.fetch.timeout.ms (KRaft): a voter not caught up with
	// the leader for longer is recorded as lagging. Zero means Kafka's default, 2 s.
	FetchTimeout time.Duration
}

// Observer records every change of the controller and of the watched topics' partition state
// into an election log: in ZooKeeper mode from ZooKeeper and from each broker's metadata
// (ZooKeeper watches are one-shot and lost across partitions, so it polls as well and uses the
// watch only to wake early); in KRaft mode from each voter's DescribeQuorum answer and each
// broker's metadata.
type Observer struct {
	t        Target
	z        *kafkastate.ZooKeeper // ZooKeeper mode
	kraft    *kafkastate.KRaft     // KRaft mode: clients of the observer's own
	log      *electionlog.Writer
	start    time.Time
	topics   []string
	interval time.Duration

	mu      sync.Mutex
	last    map[string]electionlog.Event // by state key: what was last recorded
	events  []electionlog.Event
	changed chan struct{} // closed and replaced on each new event
	err     error

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Start starts observing t. start is the run's time origin (shared with the history), and the
// log is written to w as it goes. Stop ends it.
func Start(ctx context.Context, t Target, start time.Time, w io.Writer, topics ...string) (*Observer, error) {
	o := &Observer{
		t: t, log: electionlog.NewWriter(w), start: start, topics: topics,
		interval: 200 * time.Millisecond, last: map[string]electionlog.Event{},
		changed: make(chan struct{}),
	}
	if t.KRaft {
		m, err := kafkastate.DialKRaft(t.Voters, t.Brokers)
		if err != nil {
			return nil, err
		}
		o.kraft = m
		ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
		// The initial state, before returning: a fault injected at once must find it recorded.
		o.pollQuorum(ctx)
		for _, b := range t.Brokers {
			o.pollKRaftBroker(ctx, b)
		}
		o.done.Add(2)
		go o.quorumLoop(ctx)
		// In KRaft the brokers' views are the only record of partition state: poll them often.
		go o.brokerLoop(ctx, 250*time.Millisecond, o.pollKRaftBroker)
		return o, nil
	}
	z, err := kafkastate.DialZooKeeper(ctx, t.ZooKeeper)
	if err != nil {
		return nil, err
	}
	o.z = z
	ctx, o.cancel = context.WithCancel(context.WithoutCancel(ctx))
	o.pollZooKeeper() // the initial state, before returning
	o.done.Add(2)
	go o.zooKeeperLoop(ctx)
	// Each broker's own view of leaders and ISRs, once a second.
	go o.brokerLoop(ctx, time.Second, o.pollMetadata)
	return o, nil
}

// Stop ends observation and returns the first error writing the log.
func (o *Observer) Stop() error {
	o.cancel()
	o.done.Wait()
	if o.z != nil {
		o.z.Close()
	}
	if o.kraft != nil {
		o.kraft.Close()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Events returns the events recorded so far.
func (o *Observer) Events() []electionlog.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.events)
}

// WaitFor waits until an event recorded from index `from` on matches, and returns it with its index.
func (o *Observer) WaitFor(ctx context.Context, from int, match func(electionlog.Event) bool) (electionlog.Event, int, error) {
	for {
		o.mu.Lock()
		for i := from; i < len(o.events); i++ {
			if match(o.events[i]) {
				e := o.events[i]
				o.mu.Unlock()
				return e, i, nil
			}
		}
		from = len(o.events)
		changed := o.changed
		o.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return electionlog.Event{}, 0, fmt.Errorf("waiting for an election event: %w", ctx.Err())
		}
	}
}

// Current returns the last recorded ZooKeeper state of the controller and of each partition
// (ZooKeeper mode).
func (o *Observer) Current() (kafkastate.ControllerState, map[string]electionlog.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ctl := kafkastate.ControllerState{Controller: -1}
	if e, ok := o.last["zk/controller"]; ok {
		ctl = kafkastate.ControllerState{Controller: *e.Controller, Epoch: *e.ControllerEpoch}
	}
	parts := map[string]electionlog.Event{}
	for _, e := range o.last {
		if e.Kind == electionlog.KindPartition && e.Source == electionlog.SourceZooKeeper {
			parts[e.Key()] = e
		}
	}
	return ctl, parts
}

// record appends e unless the state under key is unchanged.
func (o *Observer) record(key string, e electionlog.Event) {
	e.Time = time.Since(o.start).Nanoseconds()
	o.mu.Lock()
	defer o.mu.Unlock()
	prev, seen := o.last[key]
	if e.Kind == electionlog.KindUnreachable {
		// Only transitions matter; an error's text varies from poll to poll.
		if (!seen && e.Error == "") || (seen && (prev.Error == "") == (e.Error == "")) {
			o.last[key] = e
			return
		}
	} else if seen && prev.SameState(e) {
		return
	}
	o.last[key] = e
	o.events = append(o.events, e)
	if err := o.log.Write(e); err != nil && o.err == nil {
		o.err = err
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

func (o *Observer) zooKeeperLoop(ctx context.Context) {
	defer o.done.Done()
	// One watch at a time: go-zookeeper keeps every armed watch until it fires, so re-arming
	// on each poll would pile them up while the controller is stable.
	var watch <-chan zk.Event
	for {
		if watch == nil {
			if ch, err := o.z.ControllerWatch(); err == nil {
				watch = ch
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-watch:
			watch = nil
		case <-time.After(o.interval):
		}
		o.pollZooKeeper()
	}
}

func (o *Observer) pollZooKeeper() {
	ctl, err := o.z.Controller()
	if err != nil {
		o.record("zk/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceZooKeeper, Error: err.Error()})
		return
	}
	o.record("zk/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceZooKeeper})
	o.record("zk/controller", electionlog.Event{
		Kind: electionlog.KindController, Source: electionlog.SourceZooKeeper,
		Controller: electionlog.Int(ctl.Controller), ControllerEpoch: electionlog.Int(ctl.Epoch),
	})
	for _, t := range o.topics {
		states, err := o.z.Partitions(t)
		if err != nil {
			continue // the topic may be mid-creation; the next poll catches up
		}
		for _, s := range states {
			o.record(fmt.Sprintf("zk/%s/%d", t, s.Partition), electionlog.Event{
				Kind: electionlog.KindPartition, Source: electionlog.SourceZooKeeper,
				Topic: t, Partition: electionlog.Int(s.Partition), Leader: electionlog.Int(s.Leader),
				LeaderEpoch: electionlog.Int(s.LeaderEpoch), ISR: electionlog.SortedISR(s.ISR),
				ControllerEpoch: electionlog.Int(s.ControllerEpoch), LeaderRecovery: s.LeaderRecovery,
				ZkVersion: electionlog.Int(s.ZkVersion),
			})
		}
	}
}

// brokerLoop polls each broker on its own clock, every interval, until the observer stops: a
// paused broker, whose requests time out, must not space out the other brokers' polls.
func (o *Observer) brokerLoop(ctx context.Context, every time.Duration, poll func(context.Context, kafkastate.Endpoint)) {
	defer o.done.Done()
	var wg sync.WaitGroup
	for _, b := range o.t.Brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				poll(ctx, b)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	wg.Wait()
}

func (o *Observer) pollMetadata(ctx context.Context, b kafkastate.Endpoint) {
	key := "md/" + strconv.Itoa(b.ID)
	for _, t := range o.topics {
		parts, err := kafkastate.BrokerPartitions(ctx, b, t)
		if err != nil {
			o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceMetadata, Broker: b.ID, Error: err.Error()})
			return
		}
		o.record(key+"/unreachable", electionlog.Event{Kind: electionlog.KindUnreachable, Source: electionlog.SourceMetadata, Broker: b.ID})
		for _, p := range parts {
			isr := make([]int, len(p.Isr))
			for i, r := range p.Isr {
				isr[i] = r.ID
			}
			o.record(fmt.Sprintf("%s/%s/%d", key, t, p.ID), electionlog.Event{
				Kind: electionlog.KindPartition, Source: electionlog.SourceMetadata, Broker: b.ID,
				Topic: t, Partition: electionlog.Int(p.ID), Leader: electionlog.Int(p.Leader.ID),
				ISR: electionlog.SortedISR(isr),
			})
		}
	}
}
