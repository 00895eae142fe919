package checker

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
)

// FaultImpact is one injected fault and how long it took the cluster to recover from it.
// Durations are seconds from the fault's invocation; nil means it did not happen during the run
// (or does not apply: a fault with no partition has no new leader to wait for).
type FaultImpact struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes,omitempty"`
	Key       string   `json:"key,omitempty"` // the partition a leader fault aimed at
	InvokeOp  int64    `json:"invoke_op"`
	Start     int64    `json:"start"`         // ns since the run began
	Recovered *int64   `json:"end,omitempty"` // ns: when its recovery completed
	Error     string   `json:"error,omitempty"`
	// RecoveryError says why the fault's own recovery failed (heal-all then ended it).
	RecoveryError string `json:"recovery_error,omitempty"`
	// NewControllerAfter: until /controller named a live broker other than the fault's target.
	NewControllerAfter *float64 `json:"new_controller_after_s,omitempty"`
	// NewLeaderAfter: until Key had a leader other than the one it had when the fault began.
	NewLeaderAfter *float64 `json:"new_leader_after_s,omitempty"`
	// SendsOKAfter: until a send invoked after the fault began (to Key, if any) was acknowledged.
	SendsOKAfter *float64 `json:"sends_ok_after_s,omitempty"`
	// NewCoordinatorAfter: until the group workload's FindCoordinator look-up named a broker other
	// than the one the fault aimed at (coordinator faults only).
	NewCoordinatorAfter *float64 `json:"new_coordinator_after_s,omitempty"`

	group string // the consumer group a coordinator fault aimed at
}

// nemesisValue is the part of a nemesis op's value that unavailability needs.
type nemesisValue struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes"`
	Partition string   `json:"partition"`
	Group     string   `json:"group"`
}

// coordinatorValue is the ok value of the group workload's coordinator look-up.
type coordinatorValue struct {
	Group       string `json:"group"`
	Coordinator int    `json:"broker"`
}

// MeasureUnavailability reads a history (a second pass, streaming) and the election log, and
// measures for each injected fault how long until a new controller, a new leader of the partition
// it aimed at, and the first acknowledged send. Faults are the nemesis' completed injections;
// recover and heal-all ops close them.
func MeasureUnavailability(r io.Reader, events []electionlog.Event) ([]FaultImpact, error) {
	m := newFaultMeter()
	if err := decodeEach(r, m.observe); err != nil {
		return m.faults, err
	}
	return m.finish(events), nil
}

// faultMeter collects, op by op, the faults and the times their measurements need.
type faultMeter struct {
	faults         []FaultImpact
	open           map[string]int // fault name -> index in faults awaiting recovery
	invokeTime     map[int]int64  // process -> time of its outstanding send
	pendingNemesis int64          // index of the nemesis' outstanding invoke
	pendingStart   int64
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
		measureCoordinator(m.faults, op)
		return nil
	}
	if op.F != history.FSend {
		return nil
	}
	if op.Type == history.Invoke {
		m.invokeTime[op.Process] = op.Time
		return nil
	}
	if op.Type != history.OK {
		return nil
	}
	sv, err := op.Send()
	if err != nil {
		return nil
	}
	invoked := m.invokeTime[op.Process]
	for i := range m.faults {
		f := &m.faults[i]
		if f.Error != "" || f.SendsOKAfter != nil || invoked < f.Start || (f.Key != "" && sv.Key != f.Key) {
			continue
		}
		f.SendsOKAfter = seconds(op.Time - f.Start)
	}
	return nil
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
		m.faults = append(m.faults, FaultImpact{
			Fault: v.Fault, Nodes: v.Nodes, Key: v.Partition, group: v.Group,
			InvokeOp: m.pendingNemesis, Start: m.pendingStart, Error: op.Error,
		})
		if op.Error == "" {
			m.open[v.Fault] = len(m.faults) - 1
		}
	}
}

// finish measures the elections that followed each fault.
func (m *faultMeter) finish(events []electionlog.Event) []FaultImpact {
	for i := range m.faults {
		if m.faults[i].Error == "" {
			measureElections(&m.faults[i], events)
		}
	}
	return m.faults
}

// measureCoordinator notes, for each coordinator fault still waiting, the first look-up after
// it began that named another broker than its target.
func measureCoordinator(faults []FaultImpact, op history.Op) {
	var v coordinatorValue
	if json.Unmarshal(op.Value, &v) != nil {
		return
	}
	for i := range faults {
		f := &faults[i]
		if f.group == "" || f.group != v.Group || f.Error != "" || f.NewCoordinatorAfter != nil || op.Time < f.Start {
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

func measureElections(f *FaultImpact, events []electionlog.Event) {
	targets := map[int]bool{}
	for _, n := range f.Nodes {
		if id, ok := brokerID(n); ok {
			targets[id] = true
		}
	}
	ctlBefore, leaderBefore := -1, -1
	for _, e := range events {
		if e.Source != electionlog.SourceZooKeeper {
			continue
		}
		before := e.Time <= f.Start
		switch {
		case e.Kind == electionlog.KindController && e.Controller != nil:
			if before {
				ctlBefore = *e.Controller
			} else if f.NewControllerAfter == nil && ctlBefore >= 0 && targets[ctlBefore] &&
				*e.Controller >= 0 && *e.Controller != ctlBefore {
				f.NewControllerAfter = seconds(e.Time - f.Start)
			}
		case e.Kind == electionlog.KindPartition && f.Key != "" && e.Key() == f.Key && e.Leader != nil:
			if before {
				leaderBefore = *e.Leader
			} else if f.NewLeaderAfter == nil && *e.Leader >= 0 && *e.Leader != leaderBefore {
				f.NewLeaderAfter = seconds(e.Time - f.Start)
			}
		}
	}
}

// brokerID reads the broker id out of a harness node name ("kafka3" is broker 3).
func brokerID(node string) (int, bool) {
	rest, ok := strings.CutPrefix(node, "kafka")
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
