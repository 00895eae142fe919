package report

import (
	"slices"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// The KRaft fixture: Kafka 4.1.0, three controllers of their own (ctl1..ctl3, nodes 101..103)
// and three brokers, ELR on with min ISR 2. ctl1 leads quorum epoch 1 until it is killed at
// 8 s; ctl2 takes epoch 2 at 9.4 s; ctl1 comes back as a follower; ctl2 is killed at 22 s and
// ctl3 takes epoch 3 at 23.6 s. jepsen-1's ISR shrinks to its leader kafka2 at 7 s with kafka3
// in the ELR, and its high watermark still rises; kafka3 is elected from the ELR at 8.4 s.
// kafka3, jepsen-2's leader, is isolated at 18 s: kafka1 takes over from the ELR's side.

// kraftQuorumSpans are the quorum leader's spans the fixture's answers make.
var kraftQuorumSpans = []rundir.QuorumSpan{
	{Time: sec(0.05), Leader: 101, Epoch: 1},
	{Time: sec(8.2), Leader: electionlog.NoLeader, Epoch: 1},
	{Time: sec(9.4), Leader: 102, Epoch: 2},
	{Time: sec(22.2), Leader: electionlog.NoLeader, Epoch: 2},
	{Time: sec(23.6), Leader: 103, Epoch: 3},
}

// kraftJepsen2 is jepsen-2's timeline as some view first showed each state.
var kraftJepsen2 = []rundir.PartitionState{
	{Time: sec(0.1), Leader: 3, Epoch: 0, ISR: []int{1, 2, 3}},
	{Time: sec(18.5), Leader: 1, Epoch: 1, ISR: []int{1}, ELR: []int{2}},
	{Time: sec(23.0), Leader: 1, Epoch: 1, ISR: []int{1, 2, 3}},
}

// quorumAnswer is node's DescribeQuorum answer at at: leader (itself, or NoLeader for a
// follower, which names no epoch).
func quorumAnswer(at float64, node, leader, epoch int) electionlog.Event {
	e := electionlog.Event{Time: sec(at), Kind: electionlog.KindQuorum, Source: electionlog.SourceQuorum, Broker: node,
		Leader: electionlog.Int(leader), Voters: []int{101, 102, 103}, Observers: []int{1, 2, 3}}
	if leader >= 0 {
		e.LeaderEpoch = electionlog.Int(epoch)
	}
	return e
}

func quorumUnreachable(at float64, node int, err string) electionlog.Event {
	return electionlog.Event{Time: sec(at), Kind: electionlog.KindUnreachable, Source: electionlog.SourceQuorum, Broker: node, Error: err}
}

// metadataView is broker's metadata view of jepsen-p at at.
func metadataView(at float64, broker, p, leader, epoch int, isr, elr []int) electionlog.Event {
	return electionlog.Event{Time: sec(at), Kind: electionlog.KindPartition, Source: electionlog.SourceMetadata, Broker: broker,
		Topic: "jepsen", Partition: electionlog.Int(p), Leader: electionlog.Int(leader), LeaderEpoch: electionlog.Int(epoch), ISR: isr, ELR: elr}
}

func withHighWatermark(e electionlog.Event, hw int64) electionlog.Event {
	e.HighWatermark = electionlog.Int64(hw)
	return e
}

func kraftElections() []electionlog.Event {
	all := []int{1, 2, 3}
	events := []electionlog.Event{
		quorumAnswer(0.05, 101, 101, 1), quorumAnswer(0.05, 102, -1, 0), quorumAnswer(0.05, 103, -1, 0),
		quorumUnreachable(8.2, 101, "dial tcp 10.199.1.101:9093: connect: connection refused"),
		quorumAnswer(9.4, 102, 102, 2),
		quorumUnreachable(14.5, 101, ""), quorumAnswer(14.5, 101, -1, 0),
		quorumUnreachable(22.2, 102, "dial tcp 10.199.1.102:9093: connect: connection refused"),
		quorumAnswer(23.6, 103, 103, 3),
		quorumUnreachable(26.5, 102, ""), quorumAnswer(26.5, 102, -1, 0),
	}
	for b := 1; b <= 3; b++ {
		for p := range 3 {
			e := metadataView(0.1, b, p, p+1, 0, all, nil)
			if b == p+1 {
				e = withHighWatermark(e, 0)
			}
			events = append(events, e)
		}
	}
	events = append(events,
		// jepsen-1: the followers fall behind; kafka3 goes to the ELR; the high watermark rises.
		withHighWatermark(metadataView(7.0, 2, 1, 2, 0, []int{2}, []int{3}), 100),
		metadataView(7.1, 1, 1, 2, 0, []int{2}, []int{3}), metadataView(7.2, 3, 1, 2, 0, []int{2}, []int{3}),
		withHighWatermark(metadataView(7.8, 2, 1, 2, 0, []int{2}, []int{3}), 140),
		metadataView(8.4, 1, 1, 3, 1, []int{3}, nil), metadataView(8.45, 2, 1, 3, 1, []int{3}, nil),
		withHighWatermark(metadataView(8.5, 3, 1, 3, 1, []int{3}, nil), 140),
		metadataView(15.0, 1, 1, 3, 1, all, nil), metadataView(15.0, 2, 1, 3, 1, all, nil),
		withHighWatermark(metadataView(15.1, 3, 1, 3, 1, all, nil), 300),
		// jepsen-2: kafka3 isolated; kafka2's view lags and replays the election after kafka1
		// saw the ISR grow back.
		withHighWatermark(metadataView(18.5, 1, 2, 1, 1, []int{1}, []int{2}), 500),
		withHighWatermark(metadataView(23.0, 1, 2, 1, 1, all, nil), 700),
		metadataView(23.2, 2, 2, 1, 1, []int{1}, []int{2}),
		metadataView(23.4, 2, 2, 1, 1, all, nil),
		metadataView(23.5, 3, 2, 1, 1, all, nil),
	)
	slices.SortStableFunc(events, func(a, b electionlog.Event) int { return int(a.Time - b.Time) })
	return events
}

func kraftNemesis() []fixtureNemesisOp {
	return []fixtureNemesisOp{
		{at: 8.0, f: "kill-controller", value: map[string]any{"fault": "kill-controller", "nodes": []string{"ctl1"}}},
		{at: 14.0, f: "recover", value: map[string]any{"fault": "kill-controller", "nodes": []string{"ctl1"}}},
		{at: 18.0, f: "isolate-leader", value: map[string]any{"fault": "isolate-leader", "nodes": []string{"kafka3"}, "partition": "jepsen-2"}},
		{at: 21.0, f: "recover", value: map[string]any{"fault": "isolate-leader", "nodes": []string{"kafka3"}}},
		{at: 22.0, f: "kill-controller", value: map[string]any{"fault": "kill-controller", "nodes": []string{"ctl2"}}},
		{at: 26.0, f: "recover", value: map[string]any{"fault": "kill-controller", "nodes": []string{"ctl2"}}},
		{at: 28.0, f: "heal-all", value: map[string]any{}},
	}
}

// kraftElectionOptions are the checks the fixture's run was made with.
var kraftElectionOptions = runcheck.ElectionOptions{KRaft: true, ELREnabled: true, MinISR: 2}

// syntheticKRaftRun writes the KRaft fixture's run directory, checked as the harness checks it.
func syntheticKRaftRun(t testing.TB) string {
	t.Helper()
	dir := syntheticRunWith(t, kraftElections(), kraftNemesis(), "ctl1", "ctl2", "ctl3", "kafka1", "kafka2", "kafka3")
	cluster := map[string]any{"Name": "kafkaesque", "KafkaVersion": "4.1.0", "Image": "kafkaesque/node:4.1.0", "Mode": "kraft",
		"Controllers": 3, "Combined": false, "Brokers": 3,
		"BrokerConfig": map[string]string{"min.insync.replicas": "2", "broker.session.timeout.ms": "6000"}}
	writeRunConfig(t, dir, map[string]any{
		"spec":      fixtureSpec(map[string]any{"KafkaVersion": "4.1.0", "Mode": "kraft", "Brokers": 3}, 7, "kill-controller", "isolate-leader"),
		"seed":      7,
		"command":   "kafkaesque run --mode kraft --kafka-version 4.1.0 --seed 7 --faults kill-controller,isolate-leader --time-limit 30s",
		"run_id":    "kraft-7",
		"started":   time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC),
		"cluster":   cluster,
		"image":     map[string]any{"Kafka": "4.1.0", "Java": "17"},
		"elections": map[string]any{"kraft": true, "elr_enabled": true, "min_isr": 2, "quorum_fetch_timeout": int64(2 * time.Second)},
		"topology": map[string]string{"ctl1": "10.199.1.101", "ctl2": "10.199.1.102", "ctl3": "10.199.1.103",
			"kafka1": "10.199.1.11", "kafka2": "10.199.1.12", "kafka3": "10.199.1.13"},
	})
	writeResultsWith(t, dir, map[checker.AnomalyType]bool{checker.Duplicate: true}, kraftElectionOptions)
	return dir
}
