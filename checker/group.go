package checker

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/kafkaesque/kafkaesque/history"
)

// Consumer-group anomalies (group_*.go); their ops are the history lines that show them.
const (
	GroupUnconsumed       AnomalyType = "group-unconsumed"        // an acked value no member ever read
	GroupSharedPartition  AnomalyType = "group-shared-partition"  // two members consumed one partition in one generation
	GroupCommitRegression AnomalyType = "group-commit-regression" // a partition's committed offset went backwards
	GroupResumeSkip       AnomalyType = "group-resume-skip"       // a member resumed beyond every commit that could have happened
)

// GroupStats describe the consumer-group ops of a history. Re-deliveries are expected under
// at-least-once delivery, so they are counted here rather than reported as anomalies.
type GroupStats struct {
	Members          int   `json:"members"`     // distinct member ids that joined
	Generations      int   `json:"generations"` // distinct generations joined
	Rebalances       int64 `json:"rebalances"`  // ok rebalance ops
	CommitsOK        int64 `json:"commits_ok"`
	CommitsFail      int64 `json:"commits_fail"`
	CommitsInfo      int64 `json:"commits_info"`
	Reads            int64 `json:"reads"`       // records returned to members
	Redelivered      int64 `json:"redelivered"` // of those, offsets some member had read before
	CoordinatorMoves int   `json:"coordinator_moves"`
	Coordinators     []int `json:"coordinators,omitempty"` // broker ids seen as coordinator, in order of first sight
	// UnconsumedUnknown counts acked values no member read where the group's drain did not
	// catch up: they may simply not have been read yet, so they are not group-unconsumed.
	UnconsumedUnknown int64 `json:"unconsumed_unknown,omitempty"`
}

// GroupResult is what CheckGroup found. Present is false for a history with no group ops.
type GroupResult struct {
	Present   bool
	Anomalies []Anomaly
	Stats     GroupStats
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

// groupValue is the union of the group ops' values (workloads.RebalanceValue and friends).
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
	acked      map[string]map[string]ackedSend // key -> value -> the ok send
	drain      finalDrain
	polls      []groupOp // ok polls by group members
	commits    []groupOp // every commit, any completion (incomplete ones as info)
	rebalances []groupOp // ok rebalances
	lookups    []groupOp // ok coordinator look-ups
}

// CheckGroup reads a history and checks the consumer-group guarantees: every acked value
// consumed by a member, one consumer per partition per generation, committed offsets never
// going backwards, and resumes never beyond the last commit. CheckRun does the same within its
// single pass over a run's history.
func CheckGroup(r io.Reader) (*GroupResult, error) {
	g := newGroupReader()
	if err := decodeEach(r, g.observe); err != nil {
		return nil, err
	}
	return g.finish(), nil
}

// groupReader collects, op by op, what the consumer-group checks need.
type groupReader struct {
	h    *groupHistory
	open map[int]groupOp
}

func newGroupReader() *groupReader {
	return &groupReader{h: &groupHistory{acked: map[string]map[string]ackedSend{}, drain: newFinalDrain()}, open: map[int]groupOp{}}
}

func (r *groupReader) observe(op history.Op) error {
	if !op.IsClient() {
		return nil
	}
	if op.F == history.FSend {
		if op.Type == history.OK {
			sv, err := op.Send()
			if err != nil || sv.Offset == nil {
				return fmt.Errorf("ok send without offset: %v", err)
			}
			if r.h.acked[sv.Key] == nil {
				r.h.acked[sv.Key] = map[string]ackedSend{}
			}
			r.h.acked[sv.Key][sv.Value] = ackedSend{op: op.Index, offset: *sv.Offset}
		}
		return nil
	}
	if op.F == history.FCrash {
		return nil
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
		r.open[op.Process] = groupOp{invokeTime: op.Time, process: op.Process, group: v.Group, member: v.Member,
			generation: v.Generation, keys: v.Keys, offsets: v.Offsets, from: v.From}
		return nil
	}
	delete(r.open, op.Process)
	g.index, g.doneTime, g.typ = op.Index, op.Time, op.Type
	r.h.add(op.F, g, v)
	return nil
}

// finish checks what was collected.
func (r *groupReader) finish() *GroupResult {
	h := r.h
	for _, g := range r.open { // never completed: the outcome is unknown
		if g.offsets != nil {
			g.typ, g.doneTime = history.Info, never
			h.commits = append(h.commits, g)
		}
	}
	r.open = map[int]groupOp{}
	res := &GroupResult{Present: len(h.polls)+len(h.commits)+len(h.rebalances)+len(h.lookups) > 0}
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

func groupStats(h *groupHistory) GroupStats {
	var s GroupStats
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

// AddGroup merges the group check's anomalies and stats into r and recomputes the verdict.
func (r *Result) AddGroup(g *GroupResult, allow map[AnomalyType]bool) {
	if g == nil || !g.Present {
		return
	}
	stats := g.Stats
	r.Group = &stats
	r.Incomplete = append(r.Incomplete, g.Incomplete...)
	r.Warnings = append(r.Warnings, g.Warnings...)
	r.AddElections(g.Anomalies, allow) // the same merge and verdict
}
