package group

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/segmentio/kafka-go"
)

const (
	groupProtocolType = "consumer"
	groupProtocolName = "range"
)

// join records one rebalance: JoinGroup, the leader's assignment, SyncGroup, and the
// committed offsets of the assigned partitions, where consumption resumes.
func (m *member) join(ctx context.Context, proc int) (*generation, error) {
	m.mu.Lock()
	oldID := m.id
	m.leader = false // until this join says otherwise
	m.mu.Unlock()
	value := RebalanceValue{Group: m.g.cfg.GroupID, Member: oldID}
	inv, err := m.record(proc, history.FRebalance, value)
	if err != nil {
		return nil, err
	}
	gen, leader, joinErr := m.joinAndSync(ctx, oldID)
	if joinErr != nil {
		// A broker's error code means it refused; anything else may have joined.
		typ := history.Info
		var code kafka.Error
		if errors.As(joinErr, &code) || workloads.NotSent(joinErr) {
			typ = history.Fail
		}
		return nil, errors.Join(joinErr, m.complete(inv, typ, value, joinErr))
	}
	topic := m.g.cfg.Queue.Topic
	value = RebalanceValue{Group: m.g.cfg.GroupID, Member: gen.memberID, Generation: gen.id, Leader: leader,
		Partitions: []string{}, Committed: map[string]int64{}, Start: map[string]int64{}}
	for p := range gen.positions {
		value.Partitions = append(value.Partitions, workloads.Key(topic, p))
		value.Committed[workloads.Key(topic, p)] = gen.committed[p]
		value.Start[workloads.Key(topic, p)] = gen.positions[p]
	}
	sort.Strings(value.Partitions)
	for p, c := range gen.committed {
		if c < 0 {
			delete(gen.committed, p)
		}
	}
	m.mu.Lock()
	m.id, m.leader = gen.memberID, leader
	m.mu.Unlock()
	return gen, m.complete(inv, history.OK, value, nil)
}

func (m *member) joinAndSync(ctx context.Context, memberID string) (*generation, bool, error) {
	cfg := m.g.cfg
	topic := cfg.Queue.Topic
	var joined *kafka.JoinGroupResponse
	for attempt := 0; attempt < 2; attempt++ { // the first join of a new member returns its id
		opCtx, cancel := context.WithTimeout(ctx, groupRequestTimeout)
		res, err := m.g.client.JoinGroup(opCtx, &kafka.JoinGroupRequest{
			GroupID: cfg.GroupID, MemberID: memberID, SessionTimeout: groupSessionTimeout, RebalanceTimeout: groupRebalanceTimeout,
			ProtocolType: groupProtocolType,
			Protocols:    []kafka.GroupProtocol{{Name: groupProtocolName, Metadata: kafka.GroupProtocolSubscription{Topics: []string{topic}}}},
		})
		cancel()
		if err != nil {
			return nil, false, fmt.Errorf("join group: %w", err)
		}
		if errors.Is(res.Error, kafka.MemberIDRequired) {
			memberID = res.MemberID
			continue
		}
		if errors.Is(res.Error, kafka.UnknownMemberId) {
			m.mu.Lock()
			m.id = ""
			m.mu.Unlock()
		}
		if res.Error != nil {
			return nil, false, fmt.Errorf("join group: %w", res.Error)
		}
		joined = res
		break
	}
	if joined == nil {
		return nil, false, errors.New("join group: no member id after two attempts")
	}
	leader := joined.LeaderID == joined.MemberID
	sync := &kafka.SyncGroupRequest{GroupID: cfg.GroupID, GenerationID: joined.GenerationID, MemberID: joined.MemberID,
		ProtocolType: groupProtocolType, ProtocolName: groupProtocolName}
	if leader {
		sync.Assignments = assignRange(joined.Members, topic, cfg.Queue.Partitions)
	}
	opCtx, cancel := context.WithTimeout(ctx, groupRequestTimeout)
	synced, err := m.g.client.SyncGroup(opCtx, sync)
	cancel()
	if err == nil {
		err = synced.Error
	}
	if err != nil {
		return nil, false, fmt.Errorf("sync group generation %d: %w", joined.GenerationID, err)
	}
	gen := &generation{id: joined.GenerationID, memberID: joined.MemberID, positions: map[int]int64{}, committed: map[int]int64{}}
	assigned := synced.Assignment.AssignedPartitions[topic]
	if len(assigned) == 0 {
		return gen, leader, nil
	}
	opCtx, cancel = context.WithTimeout(ctx, cfg.Queue.OpTimeout)
	defer cancel()
	fetched, err := m.g.client.OffsetFetch(opCtx, &kafka.OffsetFetchRequest{GroupID: cfg.GroupID, Topics: map[string][]int{topic: assigned}})
	if err == nil {
		err = fetched.Error
	}
	if err != nil {
		return nil, false, fmt.Errorf("fetch committed offsets: %w", err)
	}
	for _, fp := range fetched.Topics[topic] {
		if fp.Error != nil {
			return nil, false, fmt.Errorf("fetch committed offset of %s: %w", workloads.Key(topic, fp.Partition), fp.Error)
		}
		gen.committed[fp.Partition] = fp.CommittedOffset
		gen.positions[fp.Partition] = fp.CommittedOffset
		if fp.CommittedOffset < 0 { // nothing committed yet: start at the log's start
			earliest, _, err := m.g.queue.OffsetRange(opCtx, fp.Partition)
			if err != nil {
				return nil, false, err
			}
			gen.positions[fp.Partition] = earliest
		}
	}
	for _, p := range assigned {
		if _, ok := gen.positions[p]; !ok {
			return nil, false, fmt.Errorf("fetch committed offsets: no answer for %s", workloads.Key(topic, p))
		}
	}
	return gen, leader, nil
}

// assignRange spreads the topic's partitions over the members, sorted by id, round robin.
func assignRange(members []kafka.JoinGroupResponseMember, topic string, partitions int) []kafka.SyncGroupRequestAssignment {
	ids := make([]string, len(members))
	for i, mem := range members {
		ids[i] = mem.ID
	}
	sort.Strings(ids)
	byMember := map[string][]int{}
	for p := range partitions {
		id := ids[p%len(ids)]
		byMember[id] = append(byMember[id], p)
	}
	out := make([]kafka.SyncGroupRequestAssignment, len(ids))
	for i, id := range ids {
		out[i] = kafka.SyncGroupRequestAssignment{MemberID: id,
			Assignment: kafka.GroupProtocolAssignment{AssignedPartitions: map[string][]int{topic: byMember[id]}}}
	}
	return out
}
