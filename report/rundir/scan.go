package rundir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kafkaesque/kafkaesque/history"
)

// Completion classes, used for colours.
const (
	ClassOK uint8 = iota
	ClassInfo
	ClassFail
)

// Completion is one finished client op, kept compactly so a million-op run costs ~12 MB.
type Completion struct {
	Invoke int64 // ns
	Done   int64 // ns
	Send   bool
	Class  uint8
}

// FaultBand is one injected fault, from its info op until its recovery.
type FaultBand struct {
	Fault     string
	Nodes     []string
	Partition string
	InvokeOp  int64
	Start     int64 // ns: the injection's invocation (the fault may act from then on)
	End       int64 // ns: recover, heal-all, or the end of the run
	Ended     string
	Error     string // a failed injection: shown, no band
}

// HistoryScan is what one streaming pass over history.jsonl keeps.
type HistoryScan struct {
	Ops         map[int64]history.Op // the ops examples need, with their partners
	Partner     map[int64]int64      // wanted op -> its invocation or completion
	Completions []Completion
	Faults      []FaultBand
	End         int64 // time of the last op
	Lines       int64
	Warnings    []string
	// Consumer-group changes (group.go), for the timeline.
	Rebalances, Coordinators []GroupEvent
	// The txn workload's transactions by outcome, and its transaction coordinators (txn.go).
	Txns            TxnCounts
	TxnCoordinators []TxnCoordinator
	txnAbort        map[int]bool // process -> its open transaction plans an abort
}

// nemesisValue is the part of a nemesis op's value the report shows.
type nemesisValue struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes"`
	Partition string   `json:"partition"`
}

// ScanHistory streams the history once. want names the op indexes to keep; an invocation or
// completion whose partner is wanted is kept too, so examples show both halves.
func ScanHistory(ctx context.Context, r io.Reader, want map[int64]bool) (*HistoryScan, error) {
	s := &HistoryScan{Ops: make(map[int64]history.Op), Partner: make(map[int64]int64)}
	dec := history.NewDecoder(r)
	// Only the wanted ops are kept, with a copy of their value (kept): the others' are borrowed.
	dec.BorrowValues()
	lastInvoke := make(map[int]history.Op) // process -> its outstanding invocation
	open := make(map[string]int)           // fault name -> index in s.Faults awaiting recovery
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", HistoryFile, err)
		}
		if op.Index%65536 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("read %s: %w", HistoryFile, ctx.Err())
		}
		s.Lines++
		s.End = max(s.End, op.Time)
		if want[op.Index] {
			op = kept(op)
			s.Ops[op.Index] = op
		}
		if op.Type == history.Invoke {
			if op.F == history.FTxn {
				s.txnInvoke(op)
			}
			if want[op.Index] {
				lastInvoke[op.Process] = op
			} else {
				// Only the index and time are needed unless the op is wanted: skip the value.
				lastInvoke[op.Process] = history.Op{Index: op.Index, Time: op.Time, Process: op.Process, F: op.F}
			}
			continue
		}
		inv := lastInvoke[op.Process]
		delete(lastInvoke, op.Process)
		if want[inv.Index] || want[op.Index] {
			s.Partner[inv.Index], s.Partner[op.Index] = op.Index, inv.Index
		}
		if want[inv.Index] {
			s.Ops[op.Index] = kept(op)
		}
		if want[op.Index] && !want[inv.Index] && op.Process == inv.Process {
			inv.Type = history.Invoke
			s.Ops[inv.Index] = inv // compact: time and process, no value (the completion repeats it)
		}
		if op.Process == history.NemesisProcess {
			s.nemesis(op, inv, open)
			continue
		}
		if s.txnCoordinator(op) || s.group(op) {
			continue // group and coordinator ops are neither sends nor polls in the throughput plots
		}
		s.txn(op)
		// A transaction is plotted with the sends: it is what the writers do.
		c := Completion{Invoke: inv.Time, Done: op.Time, Send: op.F == history.FSend || op.F == history.FTxn}
		switch op.Type {
		case history.Info:
			c.Class = ClassInfo
		case history.Fail:
			c.Class = ClassFail
		}
		s.Completions = append(s.Completions, c)
	}
	for _, i := range open {
		s.Faults[i].End = s.End
		s.Faults[i].Ended = "end of run"
	}
	s.Warnings = dec.Warnings()
	return s, nil
}

// kept returns op with a copy of its value, which the decoder lends only until its next op.
func kept(op history.Op) history.Op {
	op.Value = bytes.Clone(op.Value)
	return op
}

func (s *HistoryScan) nemesis(op, inv history.Op, open map[string]int) {
	var v nemesisValue
	_ = json.Unmarshal(op.Value, &v) // free-form: whatever is missing stays empty
	switch op.F {
	case history.FRecover:
		if i, ok := open[v.Fault]; ok {
			s.Faults[i].End, s.Faults[i].Ended = op.Time, history.FRecover
			delete(open, v.Fault)
		}
	case history.FHealAll:
		for name, i := range open {
			s.Faults[i].End, s.Faults[i].Ended = op.Time, history.FHealAll
			delete(open, name)
		}
	case history.FAwaitRecovery:
		// the run's own wait after the faults, not a fault
	default:
		if v.Fault == "" {
			v.Fault = op.F
		}
		start := inv.Time // the fault acts from its invocation, not from the nemesis' report of it
		if inv.Process != op.Process || inv.Time > op.Time {
			start = op.Time // no invocation recorded
		}
		s.Faults = append(s.Faults, FaultBand{Fault: v.Fault, Nodes: v.Nodes, Partition: v.Partition,
			InvokeOp: inv.Index, Start: start, End: op.Time, Error: op.Error})
		if op.Error == "" {
			if prev, ok := open[v.Fault]; ok { // injected again without a recovery: close the first
				s.Faults[prev].End, s.Faults[prev].Ended = start, "re-injected"
			}
			open[v.Fault] = len(s.Faults) - 1
		}
	}
}
