package group

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/heartbeat"
)

// member is one consumer of the group, speaking the group protocol itself (JoinGroup,
// SyncGroup, Heartbeat, OffsetCommit) so that a crash can stop it without a LeaveGroup and
// the history knows its generation, assignment and leadership exactly.
type member struct {
	g    *Workload
	slot int
	rng  *rand.Rand // used by the member's goroutine only

	mu      sync.Mutex
	id      string // member id from the coordinator; "" before the first join
	leader  bool   // leads the current generation
	proc    int
	crash   context.CancelFunc // crashes the current incarnation
	crashed string             // id of the crashed incarnation; "" while running
	revive  chan struct{}
}

// generation is what a member holds between two rebalances.
type generation struct {
	id        int
	memberID  string
	positions map[int]int64 // partition -> next offset to read
	committed map[int]int64 // partition -> last offset committed ok
	// coordinator is where heartbeats go: kafka-go routes JoinGroup, SyncGroup and commits to
	// the coordinator itself, but sends heartbeats to whichever broker it is connected to.
	coordinator net.Addr
}

// run is the member's life: incarnations one after another, each until it crashes, and
// after a crash a wait for restart. It ends when ctx ends.
func (m *member) run(ctx context.Context) {
	m.mu.Lock()
	m.revive = make(chan struct{}, 1)
	m.mu.Unlock()
	for ctx.Err() == nil {
		life, crash := context.WithCancel(ctx)
		m.mu.Lock()
		m.crash, m.crashed = crash, ""
		m.mu.Unlock()
		m.incarnation(life)
		crash()
		if ctx.Err() != nil {
			return
		}
		select { // crashed: wait for the nemesis to restart it
		case <-ctx.Done():
			return
		case <-m.revive:
		}
	}
}

// crashIfLeader crashes the member if it leads the group now.
func (m *member) crashIfLeader() (string, int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.leader || m.crash == nil || m.crashed != "" {
		return "", 0, false
	}
	m.crashed, m.leader = m.id, false
	if m.crashed == "" {
		m.crashed = fmt.Sprintf("slot-%d", m.slot)
	}
	m.crash()
	return m.crashed, m.proc, true
}

func (m *member) crashedID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.crashed
}

// restart brings a crashed member back as a new process that has forgotten its member id.
func (m *member) restart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.crashed == "" {
		return nil
	}
	m.id = ""
	m.wakeLocked()
	return nil
}

func (m *member) wake() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wakeLocked()
}

func (m *member) wakeLocked() {
	if m.revive == nil {
		return
	}
	select {
	case m.revive <- struct{}{}:
	default:
	}
}

func (m *member) newProcess() int {
	p := m.g.cfg.Queue.Processes.Next()
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()
	return p
}

// incarnation joins, consumes and rejoins until ctx ends (a crash or the end of the run).
// Every generation gets a fresh process: polls restart at the committed offsets, and one
// process's polls of a partition must not go backwards.
func (m *member) incarnation(ctx context.Context) {
	for ctx.Err() == nil {
		proc := m.newProcess()
		gen, err := m.join(ctx, proc)
		if err != nil {
			if errors.Is(err, errRecording) {
				return
			}
			workloads.SleepJitter(ctx, m.rng, workloads.ErrorBackoff*5)
			continue
		}
		if err := m.consume(ctx, m.newProcess(), gen); errors.Is(err, errRecording) {
			return
		}
	}
}

var errRecording = errors.New("record history")

func (m *member) record(proc int, f string, value any) (history.Op, error) {
	op, err := m.g.rec.Invoke(proc, f, value)
	if err != nil {
		return op, fmt.Errorf("%w: %v", errRecording, err)
	}
	return op, nil
}

func (m *member) complete(inv history.Op, typ history.Type, value any, opErr error) error {
	msg := ""
	if opErr != nil {
		msg = opErr.Error()
	}
	if _, err := m.g.rec.Complete(inv, typ, value, msg); err != nil {
		return fmt.Errorf("%w: %v", errRecording, err)
	}
	return nil
}

// consume polls the generation's partitions, commits what it read, and heartbeats, until the
// coordinator asks for a rebalance or ctx ends.
func (m *member) consume(ctx context.Context, proc int, gen *generation) error {
	partitions := make([]int, 0, len(gen.positions))
	for p := range gen.positions {
		partitions = append(partitions, p)
	}
	sort.Ints(partitions)
	lastBeat, lastCommit, beatOK := time.Now(), time.Now(), time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		if len(partitions) == 0 {
			workloads.Sleep(ctx, workloads.PollMaxWait)
		} else {
			p := partitions[i%len(partitions)]
			typ, err := m.poll(ctx, proc, gen, p)
			if err != nil {
				return err
			}
			if typ != history.OK {
				proc = m.newProcess()
				workloads.SleepJitter(ctx, m.rng, workloads.ErrorBackoff)
			}
		}
		if ctx.Err() != nil {
			return nil // crashed or stopped: a dead process neither commits nor heartbeats
		}
		if time.Since(lastCommit) >= groupCommitInterval {
			lastCommit = time.Now()
			typ, err := m.commit(ctx, proc, gen)
			if err != nil {
				return err
			}
			if typ == history.Info {
				proc = m.newProcess()
			}
		}
		if time.Since(lastBeat) >= groupHeartbeat {
			lastBeat = time.Now()
			rejoin, err := m.heartbeat(ctx, gen)
			if rejoin {
				return nil
			}
			if err == nil {
				beatOK = time.Now()
			} else if time.Since(beatOK) > groupSessionTimeout {
				return nil // our session has surely expired: rejoin
			}
		}
	}
	return nil
}

// poll records and performs one fetch of an assigned partition, as the queue's consumers do.
func (m *member) poll(ctx context.Context, proc int, gen *generation, partition int) (history.Type, error) {
	key := workloads.Key(m.g.cfg.Queue.Topic, partition)
	from := gen.positions[partition]
	inv, err := m.record(proc, history.FPoll, PollInvoke{Keys: []string{key}, From: map[string]int64{key: from},
		Group: m.g.cfg.GroupID, Member: gen.memberID, Generation: gen.id})
	if err != nil {
		return "", err
	}
	m.g.pollStats.Invoked()
	opCtx, cancel := context.WithTimeout(ctx, m.g.cfg.Queue.OpTimeout)
	defer cancel()
	position := from
	reads, hwm, fetchErr := m.g.queue.FetchAt(opCtx, partition, &position, workloads.PollMaxWait)
	gen.positions[partition] = position
	if fetchErr != nil {
		m.g.pollStats.Completed(history.Fail)
		return history.Fail, m.complete(inv, history.Fail, nil, fetchErr)
	}
	m.g.pollStats.Completed(history.OK)
	if len(reads) > 0 {
		m.g.noteConsumed(partition, position)
	}
	return history.OK, m.complete(inv, history.OK, workloads.PollResult(key, reads, hwm), nil)
}

// commit records and performs an offset commit of the positions that moved since the last
// acknowledged commit. A commit with nothing new is skipped, not recorded.
func (m *member) commit(ctx context.Context, proc int, gen *generation) (history.Type, error) {
	topic := m.g.cfg.Queue.Topic
	offsets := map[string]int64{}
	var req []kafka.OffsetCommit
	for p, pos := range gen.positions {
		if c, ok := gen.committed[p]; ok && c == pos {
			continue
		}
		offsets[workloads.Key(topic, p)] = pos
		req = append(req, kafka.OffsetCommit{Partition: p, Offset: pos})
	}
	if len(req) == 0 {
		return history.OK, nil
	}
	value := CommitValue{Group: m.g.cfg.GroupID, Member: gen.memberID, Generation: gen.id, Offsets: offsets}
	inv, err := m.record(proc, history.FCommit, value)
	if err != nil {
		return "", err
	}
	opCtx, cancel := context.WithTimeout(ctx, m.g.cfg.Queue.OpTimeout)
	res, err := m.g.client.OffsetCommit(opCtx, &kafka.OffsetCommitRequest{
		GroupID: m.g.cfg.GroupID, GenerationID: gen.id, MemberID: gen.memberID, Topics: map[string][]kafka.OffsetCommit{topic: req},
	})
	cancel()
	if err == nil {
		for _, pr := range res.Topics[topic] {
			err = errors.Join(err, pr.Error)
		}
	}
	typ := classifyCommit(err)
	if typ == history.OK {
		for _, c := range req {
			gen.committed[c.Partition] = c.Offset
		}
	}
	return typ, m.complete(inv, typ, value, err)
}

// Commit errors the coordinator returns only before it appends to __consumer_offsets.
// NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE are not among them: the coordinator also maps
// errors of an append that may have happened onto them (NOT_LEADER_OR_FOLLOWER onto
// NOT_COORDINATOR, NOT_ENOUGH_REPLICAS_AFTER_APPEND onto COORDINATOR_NOT_AVAILABLE), so such a
// commit may be stored: info.
var commitNotAppended = []error{
	kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.RebalanceInProgress, kafka.GroupLoadInProgress,
	kafka.OffsetMetadataTooLarge, kafka.InvalidCommitOffsetSize, kafka.GroupAuthorizationFailed,
}

// classifyCommit is ok, fail when the commit provably was not stored, else info. A joined
// error (one per partition) is fail only if every part is.
func classifyCommit(err error) history.Type {
	if err == nil {
		return history.OK
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, part := range joined.Unwrap() {
			if classifyCommit(part) != history.Fail {
				return history.Info
			}
		}
		return history.Fail
	}
	for _, code := range commitNotAppended {
		if errors.Is(err, code) {
			return history.Fail
		}
	}
	if workloads.NotSent(err) {
		return history.Fail
	}
	return history.Info
}

// heartbeat keeps the member in its generation; rejoin is true when the coordinator wants a
// rebalance or no longer knows the member.
func (m *member) heartbeat(ctx context.Context, gen *generation) (rejoin bool, err error) {
	opCtx, cancel := context.WithTimeout(ctx, m.g.cfg.Queue.OpTimeout)
	defer cancel()
	if gen.coordinator == nil {
		if gen.coordinator, err = m.g.findCoordinator(opCtx); err != nil {
			return false, err
		}
	}
	err = heartbeatV0(opCtx, gen.coordinator, m.g.cfg.GroupID, gen.id, gen.memberID)
	if err != nil {
		gen.coordinator = nil // it may have moved: look it up again next time
	}
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, kafka.UnknownMemberId):
		m.mu.Lock()
		m.id = ""
		m.mu.Unlock()
		return true, err
	case errors.Is(err, kafka.RebalanceInProgress), errors.Is(err, kafka.IllegalGeneration):
		return true, err
	}
	return false, err
}

// heartbeatV0 sends one Heartbeat, version 0, to the coordinator on a connection of its own.
// kafka-go's Client.Heartbeat cannot be used: from version 1 on it decodes the response's
// error code from the throttle time field (v0.4.51 orders the fields wrongly), so it never
// sees REBALANCE_IN_PROGRESS. Version 0's response is the error code alone.
func heartbeatV0(ctx context.Context, coordinator net.Addr, group string, generation int, memberID string) error {
	conn, err := (&net.Dialer{Timeout: workloads.DialTimeout}).DialContext(ctx, "tcp", coordinator.String())
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	res, err := protocol.RoundTrip(conn, 0, 1, "kafkaesque-group", &heartbeat.Request{GroupID: group, GenerationID: int32(generation), MemberID: memberID})
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	hb, ok := res.(*heartbeat.Response)
	if !ok {
		return fmt.Errorf("heartbeat: unexpected response %T", res)
	}
	if hb.ErrorCode != 0 {
		return fmt.Errorf("heartbeat: %w", kafka.Error(hb.ErrorCode))
	}
	return nil
}
