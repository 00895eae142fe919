package runcheck

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
)

// nemesisValue is the part of a nemesis op's value that unavailability needs.
type nemesisValue struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes"`
	Partition string   `json:"partition"`
	Group     string   `json:"group"`
	TxnID     string   `json:"txn_id"`
	Action    string   `json:"action"`
	// Lost is what a power fault dropped from each node's data (nemesis.DataLoss).
	Lost []checker.DataLoss `json:"lost"`
}

// powerLoss is the action of the nemesis' power faults.
const powerLoss = "power-loss"

// coordinatorValue is the ok value of a coordinator look-up: the group workload's, or the txn
// workload's for a transactional id.
type coordinatorValue struct {
	Group       string `json:"group"`
	TxnID       string `json:"txn_id"`
	Coordinator int    `json:"broker"`
}

// coordinatorKey names what a coordinator serves, so a group and a transactional id of the same
// name are not confused.
func coordinatorKey(group, txnID string) string {
	switch {
	case txnID != "":
		return "txn:" + txnID
	case group != "":
		return "group:" + group
	}
	return ""
}

// MeasureUnavailability reads a history (a second pass, streaming) and the election log, and
// measures for each injected fault how long until a new controller, a new leader of the partition
// it aimed at, and the first acknowledged send. Faults are the nemesis' completed injections;
// recover and heal-all ops close them.
func MeasureUnavailability(r io.Reader, events []electionlog.Event) ([]checker.FaultImpact, error) {
	m := newFaultMeter()
	if _, err := checker.Stream(context.Background(), r, m.observe); err != nil {
		return m.faults, err
	}
	return m.finish(events), nil
}

// faultMeter collects, op by op, the faults and the times their measurements need.
type faultMeter struct {
	faults         []checker.FaultImpact
	groups         []string       // per fault: the group or transactional id a coordinator fault aimed at (coordinatorKey)
	open           map[string]int // fault name -> index in faults awaiting recovery
	invokeTime     map[int]int64  // process -> time of its outstanding send
	pendingNemesis int64          // index of the nemesis' outstanding invoke
	pendingStart   int64
	awaiting       int // injected faults without their first acknowledged send yet
}

func newFaultMeter() *faultMeter {
	return &faultMeter{open: map[string]int{}, invokeTime: map[int]int64{}, pendingNemesis: -1}
}

func (m *faultMeter) observe(op history.Op) error {
	if op.Process == history.NemesisProcess {
		m.observeNemesis(op)
		return nil
	}
	if op.F == history.FCoordinator && op.Type == history.OK {
		measureCoordinator(m.faults, m.groups, op)
		return nil
	}
	if op.F != history.FSend && op.F != history.FTxn {
		return nil
	}
	if op.Type == history.Invoke {
		m.invokeTime[op.Process] = op.Time
		return nil
	}
	if op.Type != history.OK || !m.awaitingSends() {
		return nil // nothing to decode for: every fault so far has its first acknowledged send
	}
	if op.F == history.FTxn {
		// A committed transaction's sends are acknowledged writes, each of its partition.
		v, err := op.Txn()
		if err != nil {
			return nil
		}
		for _, mop := range v.Mops {
			if mop.F == history.MopSend && mop.Offset != nil {
				m.sendOK(op, mop.Key)
			}
		}
		return nil
	}
	sv, err := history.ParseSend(op.Value)
	if err != nil {
		return nil
	}
	m.sendOK(op, string(sv.Key))
	return nil
}

// awaitingSends reports whether some injected fault still waits for its first acknowledged send
// (a history has millions of sends, and most come after every fault has had its first).
func (m *faultMeter) awaitingSends() bool { return m.awaiting > 0 }

// sendOK notes an acknowledged write to key, completed by op: the first after a fault began (and
// invoked after it) ends that fault's wait for acknowledged sends.
func (m *faultMeter) sendOK(op history.Op, key string) {
	invoked := m.invokeTime[op.Process]
	for i := range m.faults {
		f := &m.faults[i]
		if f.Error != "" || f.SendsOKAfter != nil || invoked < f.Start || (f.Key != "" && key != f.Key) {
			continue
		}
		f.SendsOKAfter = seconds(op.Time - f.Start)
		m.awaiting--
	}
}

func (m *faultMeter) observeNemesis(op history.Op) {
	if op.Type == history.Invoke {
		m.pendingNemesis, m.pendingStart = op.Index, op.Time
		return
	}
	var v nemesisValue
	_ = json.Unmarshal(op.Value, &v) // free-form: what is missing stays empty
	switch op.F {
	case history.FRecover:
		// A failed recovery leaves the fault open for heal-all to close, and says why.
		if i, ok := m.open[v.Fault]; ok && op.Error != "" {
			m.faults[i].RecoveryError = op.Error
		} else if ok {
			t := op.Time
			m.faults[i].Recovered = &t
			delete(m.open, v.Fault)
		}
	case history.FAwaitRecovery:
		// the run's own wait after the faults, not a fault
	case history.FHealAll:
		for name, i := range m.open {
			t := op.Time
			m.faults[i].Recovered = &t
			delete(m.open, name)
		}
	default:
		if v.Fault == "" {
			v.Fault = op.F
		}
		m.faults = append(m.faults, checker.FaultImpact{
			Fault: v.Fault, Nodes: v.Nodes, Key: v.Partition,
			InvokeOp: m.pendingNemesis, InjectedOp: op.Index, Start: m.pendingStart, Error: op.Error,
			PowerLoss: v.Action == powerLoss, DataLost: v.Lost,
		})
		m.groups = append(m.groups, coordinatorKey(v.Group, v.TxnID))
		if op.Error == "" {
			m.open[v.Fault] = len(m.faults) - 1
			m.awaiting++
		}
	}
}

// finish measures the elections that followed each fault.
func (m *faultMeter) finish(events []electionlog.Event) []checker.FaultImpact {
	src := sourcesOf(events)
	for i := range m.faults {
		if m.faults[i].Error == "" {
			measureElections(&m.faults[i], events, src)
		}
	}
	return m.faults
}

// measureCoordinator notes, for each coordinator fault still waiting, the first look-up after
// it began that named another broker than its target. groups[i] is the group faults[i] aimed at.
func measureCoordinator(faults []checker.FaultImpact, groups []string, op history.Op) {
	var v coordinatorValue
	if json.Unmarshal(op.Value, &v) != nil {
		return
	}
	for i := range faults {
		f := &faults[i]
		if groups[i] == "" || groups[i] != coordinatorKey(v.Group, v.TxnID) || f.Error != "" || f.NewCoordinatorAfter != nil || op.Time < f.Start {
			continue
		}
		if len(f.Nodes) != 1 {
			continue // not aimed at a broker (kill-group-leader crashes a consumer)
		}
		target, ok := brokerID(f.Nodes[0])
		if !ok {
			continue
		}
		if v.Coordinator >= 0 && v.Coordinator != target {
			f.NewCoordinatorAfter = seconds(op.Time - f.Start)
		}
	}
}

// electionSources says where the election log records leadership: a KRaft log has quorum
// events and no ZooKeeper controller; a log without ZooKeeper partition events has the brokers'
// metadata views only.
type electionSources struct {
	quorum   bool // the controller is the quorum leader (KRaft)
	metadata bool // partition leaders come from the brokers' metadata views
}

func sourcesOf(events []electionlog.Event) electionSources {
	var zkPartitions bool
	var src electionSources
	for _, e := range events {
		switch {
		case e.Kind == electionlog.KindQuorum:
			src.quorum = true
		case e.Kind == electionlog.KindPartition && e.Source == electionlog.SourceZooKeeper:
			zkPartitions = true
		}
	}
	src.metadata = !zkPartitions
	return src
}

// leaderSighting is one event naming a leader: of the cluster (the controller) or of a
// partition. Epoch is -1 where the event has none.
type leaderSighting struct {
	time          int64
	leader, epoch int
}

// controllerSighting reads the controller out of an event: ZooKeeper's /controller, or in KRaft
// a node's DescribeQuorum answer claiming its own leadership. A follower's answer names no
// leader it vouches for, and an answer relayed about another node is not a claim.
func controllerSighting(e electionlog.Event, quorum bool) (leaderSighting, bool) {
	if quorum {
		if e.Kind != electionlog.KindQuorum || e.Leader == nil || e.LeaderEpoch == nil || *e.Leader != e.Broker {
			return leaderSighting{}, false
		}
		return leaderSighting{e.Time, *e.Leader, *e.LeaderEpoch}, true
	}
	if e.Kind != electionlog.KindController || e.Source != electionlog.SourceZooKeeper || e.Controller == nil {
		return leaderSighting{}, false
	}
	s := leaderSighting{e.Time, *e.Controller, -1}
	if e.ControllerEpoch != nil {
		s.epoch = *e.ControllerEpoch
	}
	return s, true
}

// partitionSighting reads key's leader out of a partition event of ZooKeeper, or of any
// broker's metadata view when metadata is true.
func partitionSighting(e electionlog.Event, key string, metadata bool) (leaderSighting, bool) {
	source := electionlog.SourceZooKeeper
	if metadata {
		source = electionlog.SourceMetadata
	}
	if e.Kind != electionlog.KindPartition || e.Source != source || e.Leader == nil || e.Key() != key {
		return leaderSighting{}, false
	}
	s := leaderSighting{e.Time, *e.Leader, -1}
	if e.LeaderEpoch != nil {
		s.epoch = *e.LeaderEpoch
	}
	return s, true
}

// firstNewLeader returns how long after start a leader other than the one in office at start
// was first seen. ZooKeeper is one authoritative, ordered record, so its last state before start
// is the one in office. Views (quorum answers, brokers' metadata) lag and disagree, so the one
// in office is the leader of the highest epoch seen by start, and a new leader must hold a
// higher epoch: a lagging view catching up on an older election is no new leader. only, when
// set, says which leaders in office the measurement applies to.
func firstNewLeader(sightings []leaderSighting, start int64, views bool, only func(leader int) bool) *float64 {
	before := leaderSighting{leader: -1, epoch: -1}
	seen := false
	for _, s := range sightings {
		if s.time > start {
			break
		}
		if !views || s.epoch >= before.epoch {
			before, seen = s, true
		}
	}
	// Nothing seen before the fault: who was in office is unknown, and the first sighting
	// after it would pass for an election.
	if !seen || (only != nil && (before.leader < 0 || !only(before.leader))) {
		return nil
	}
	for _, s := range sightings {
		if s.time <= start || s.leader < 0 || s.leader == before.leader {
			continue
		}
		if views && before.epoch >= 0 && s.epoch <= before.epoch {
			continue
		}
		return seconds(s.time - start)
	}
	return nil
}

// measureElections measures, for one fault, the time to a new controller (only when the fault
// aimed at the controller in office) and to a new leader of the partition it aimed at.
func measureElections(f *checker.FaultImpact, events []electionlog.Event, src electionSources) {
	targets := map[int]bool{}
	for _, n := range f.Nodes {
		if id, ok := nodeID(n); ok {
			targets[id] = true
		}
	}
	var ctl, leaders []leaderSighting
	for _, e := range events {
		if s, ok := controllerSighting(e, src.quorum); ok {
			ctl = append(ctl, s)
		}
		if f.Key == "" {
			continue
		}
		if s, ok := partitionSighting(e, f.Key, src.metadata); ok {
			leaders = append(leaders, s)
		}
	}
	f.NewControllerAfter = firstNewLeader(ctl, f.Start, src.quorum, func(id int) bool { return targets[id] })
	if f.Key != "" {
		f.NewLeaderAfter = firstNewLeader(leaders, f.Start, src.metadata, nil)
	}
}

// brokerID reads the broker id out of a harness node name ("kafka3" is broker 3).
func brokerID(node string) (int, bool) {
	return numbered(node, "kafka")
}

// controllerIDBase numbers KRaft's dedicated controllers apart from the brokers: "ctl2" is node
// 102 (cluster.controllerIDBase).
const controllerIDBase = 100

// nodeID reads the Kafka node id out of a harness node name: a broker ("kafka3" is 3) or a
// dedicated KRaft controller ("ctl2" is 102). ZooKeeper nodes ("zk1") are no Kafka nodes.
func nodeID(node string) (int, bool) {
	if id, ok := brokerID(node); ok {
		return id, true
	}
	if n, ok := numbered(node, "ctl"); ok {
		return controllerIDBase + n, true
	}
	return 0, false
}

// numbered reads N out of prefix+N.
func numbered(node, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(node, prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(rest)
	return id, err == nil
}

func seconds(ns int64) *float64 {
	s := float64(ns) / 1e9
	return &s
}
