// Package group checks the consumer-group guarantees of a history of the group workload, one
// file per guarantee: every acked value consumed by a member (consumed.go), one consumer per
// partition per generation (exclusive.go), committed offsets never going backwards
// (commits.go), and resumes never beyond the last commit (resume.go). Its anomaly types and
// the stats it reports are the checker's (checker.GroupUnconsumed, checker.GroupStats). It is
// pure: it reads a history and returns a Result.
package group

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// never is the completion time of a commit that never completed.
const never = math.MaxInt64

// Result is what Check found. Present is false for a history with no group ops.
type Result struct {
	Present   bool
	Anomalies []checker.Anomaly
	Stats     checker.GroupStats
	// Incomplete says which checks could not be decided (the group's drain did not catch up):
	// the verdict is then at best unknown.
	Incomplete []string
	// Warnings are what the history could not tell (an old history without drain markers).
	Warnings []string
}

// groupOp is a completed group op: its invocation's value and time, and its completion.
type groupOp struct {
	index, invokeTime, doneTime int64
	typ                         history.Type
	process                     int
	group, member               string
	generation                  int
	keys                        []string
	offsets                     map[string]int64 // commit: offsets; rebalance: committed offsets read back
	start                       map[string]int64 // rebalance: start positions
	reads                       map[string][]history.Read
	from                        map[string]int64 // poll: the offset asked for
	broker                      *int
}

// groupValue is the union of the group ops' values (workloads/group.RebalanceValue and friends).
type groupValue struct {
	Keys       []string                  `json:"keys"`
	Group      string                    `json:"group"`
	Member     string                    `json:"member"`
	Generation int                       `json:"generation"`
	Partitions []string                  `json:"partitions"`
	Offsets    map[string]int64          `json:"offsets"`
	Committed  map[string]int64          `json:"committed"`
	Start      map[string]int64          `json:"start"`
	Broker     *int                      `json:"broker"`
	Reads      map[string][]history.Read `json:"reads"`
	From       map[string]int64          `json:"from"`
	Drain      bool                      `json:"drain"`
}

// groupHistory is a history's group ops, its acknowledged sends, and what its final drain saw.
type groupHistory struct {
	acked      ackedLog   // the ok sends, unless shared
	shared     AckedSends // the ok sends, as another checker recorded them
	drain      finalDrain
	polls      []groupOp // ok polls by group members
	commits    []groupOp // every commit, any completion (incomplete ones as info)
	rebalances []groupOp // ok rebalances
	lookups    []groupOp // ok coordinator look-ups
}

// Check reads a history and checks the consumer-group guarantees: every acked value
// consumed by a member, one consumer per partition per generation, committed offsets never
// going backwards, and resumes never beyond the last commit. runcheck.Check does the same
// within its single pass over a run's history (New, Observe, Finish).
func Check(r io.Reader) (*Result, error) {
	g := New()
	if _, err := checker.Stream(context.Background(), r, g.Observe); err != nil {
		return nil, err
	}
	return g.Finish(), nil
}

// Checker collects, op by op, what the consumer-group checks need.
type Checker struct {
	h    *groupHistory
	open map[int]groupOp
	view history.PollInvokeView // scratch
}

// New returns a Checker ready for a history's first op.
func New() *Checker {
	return &Checker{h: &groupHistory{drain: newFinalDrain()}, open: map[int]groupOp{}}
}

// AckedSends is a record of a history's acknowledged send lines that another checker of the
// same pass keeps (checker.Checker's, in runcheck): key and value as the send's invocation named
// them, the op of its acknowledgement and its offset.
type AckedSends interface {
	EachAckedSend(yield func(key, value string, op, offset int64))
}

// NewSharing returns a Checker that takes the acknowledged sends from src when it finishes
// instead of keeping its own record of them: a history has millions. src must observe the same
// history, each op before this Checker does (it is the one that rejects an ok send without an
// offset).
func NewSharing(src AckedSends) *Checker {
	c := New()
	c.h.shared = src
	return c
}

// Observe takes the history's next op.
func (r *Checker) Observe(op history.Op) error {
	if !op.IsClient() {
		return nil
	}
	if op.F == history.FSend {
		if op.Type == history.OK && r.h.shared == nil {
			sv, err := history.ParseSend(op.Value)
			if err != nil || !sv.HasOffset {
				return fmt.Errorf("ok send without offset: %v", err)
			}
			r.h.acked.add(sv.Key, sv.Value, ackedSend{op: op.Index, offset: sv.Offset})
		}
		return nil
	}
	if op.F == history.FCrash || op.F == history.FTxn {
		return nil // transactions are checker/txn's
	}
	// A completion matters only if its invocation was a group op or a drain poll: look that up
	// before decoding the value, which for a queue poll is its whole read list.
	if op.Type != history.Invoke && r.h.drain.isOpen(op.Process) {
		return r.h.drain.complete(op)
	}
	g, ok := r.open[op.Process]
	if op.Type != history.Invoke && !ok {
		return nil
	}
	if op.Type == history.Invoke && op.F == history.FPoll {
		// A queue consumer's poll, or the final drain's, names no group: the fast view says so
		// without decoding its keys. Anything else is decoded in full below.
		if err := history.ParsePollInvoke(op.Value, &r.view); err == nil && !r.view.Other {
			r.h.drain.invoke(op.Process, groupValue{Drain: r.view.Drain})
			return nil
		}
	}
	var v groupValue
	if len(op.Value) > 0 && string(op.Value) != "null" {
		if err := json.Unmarshal(op.Value, &v); err != nil {
			return fmt.Errorf("%s value: %w", op.F, err)
		}
	}
	if op.Type == history.Invoke {
		if op.F == history.FPoll && v.Group == "" {
			r.h.drain.invoke(op.Process, v) // a queue consumer's poll, or the final drain's
			return nil
		}
		if op.F == history.FCoordinator && v.Group == "" {
			return nil // a transaction coordinator's look-up (the txn workload)
		}
		r.open[op.Process] = groupOp{invokeTime: op.Time, process: op.Process, group: v.Group, member: v.Member,
			generation: v.Generation, keys: v.Keys, offsets: v.Offsets, from: v.From}
		return nil
	}
	delete(r.open, op.Process)
	g.index, g.doneTime, g.typ = op.Index, op.Time, op.Type
	r.h.add(op.F, g, v)
	return nil
}

// Finish checks what was collected.
func (r *Checker) Finish() *Result {
	h := r.h
	for _, g := range r.open { // never completed: the outcome is unknown
		if g.offsets != nil {
			g.typ, g.doneTime = history.Info, never
			h.commits = append(h.commits, g)
		}
	}
	r.open = map[int]groupOp{}
	res := &Result{Present: len(h.polls)+len(h.commits)+len(h.rebalances)+len(h.lookups) > 0}
	if !res.Present {
		return res
	}
	consumed := unconsumed(h)
	res.Anomalies = append(res.Anomalies, consumed.anomalies...)
	res.Incomplete, res.Warnings = consumed.incomplete, consumed.warnings
	res.Anomalies = append(res.Anomalies, sharedPartitions(h)...)
	res.Anomalies = append(res.Anomalies, commitRegressions(h)...)
	res.Anomalies = append(res.Anomalies, resumeSkips(h)...)
	res.Stats = groupStats(h)
	res.Stats.UnconsumedUnknown = consumed.unknown
	return res
}

// add files a completed op with its completion value v.
func (h *groupHistory) add(f string, g groupOp, v groupValue) {
	switch f {
	case history.FCommit:
		h.commits = append(h.commits, g)
	case history.FPoll:
		if g.typ == history.OK {
			g.reads = v.Reads
			h.polls = append(h.polls, g)
		}
	case history.FRebalance:
		if g.typ == history.OK {
			g.member, g.generation, g.keys = v.Member, v.Generation, v.Partitions
			g.offsets, g.start = v.Committed, v.Start
			h.rebalances = append(h.rebalances, g)
		}
	case history.FCoordinator:
		if g.typ == history.OK && v.Broker != nil {
			g.broker = v.Broker
			h.lookups = append(h.lookups, g)
		}
	}
}

func groupStats(h *groupHistory) checker.GroupStats {
	var s checker.GroupStats
	members, gens := map[string]bool{}, map[string]bool{}
	for _, rb := range h.rebalances {
		members[rb.member] = true
		gens[fmt.Sprintf("%s/%d", rb.group, rb.generation)] = true
	}
	s.Members, s.Generations, s.Rebalances = len(members), len(gens), int64(len(h.rebalances))
	for _, c := range h.commits {
		switch c.typ {
		case history.OK:
			s.CommitsOK++
		case history.Fail:
			s.CommitsFail++
		default:
			s.CommitsInfo++
		}
	}
	type at struct {
		key    string
		offset int64
	}
	seen := map[at]bool{}
	for _, p := range h.polls {
		for key, reads := range p.reads {
			for _, rd := range reads {
				s.Reads++
				if seen[at{key, rd.Offset}] {
					s.Redelivered++
				}
				seen[at{key, rd.Offset}] = true
			}
		}
	}
	sort.Slice(h.lookups, func(i, j int) bool { return h.lookups[i].index < h.lookups[j].index })
	last := -1
	for _, l := range h.lookups {
		if *l.broker == last {
			continue
		}
		if last >= 0 {
			s.CoordinatorMoves++
		}
		last = *l.broker
		if !containsInt(s.Coordinators, last) {
			s.Coordinators = append(s.Coordinators, last)
		}
	}
	return s
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// AddTo merges the group check's anomalies and stats into res and recomputes its verdict.
func (g *Result) AddTo(res *checker.Result, allow map[checker.AnomalyType]bool) {
	if g == nil || !g.Present {
		return
	}
	stats := g.Stats
	res.Group = &stats
	res.Incomplete = append(res.Incomplete, g.Incomplete...)
	res.Warnings = append(res.Warnings, g.Warnings...)
	res.AddAnomalies(g.Anomalies, allow)
}
