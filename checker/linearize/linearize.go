// Package linearize decides whether each key's sends and polls are linearizable against an
// append-only log, with porcupine (on short segments cut at quiescent points; a segment of a
// single op is decided by the model's own step) and an exact greedy search (for segments too
// long for porcupine, and to explain a violation). It knows nothing of histories: the caller
// says which sends own which offsets and what each poll read.
package linearize

import (
	"context"
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
)

// Send is a send that claims an offset of its key's log. Of the sends claiming one offset,
// the first invoked owns it; the others are left out of the model.
type Send struct {
	Value      string
	Claim      int64 // the offset it claims
	Process    int
	InvokeOp   int64
	CompleteOp int64 // -1 if it did not complete
	InvokeTime int64
	ReturnTime int64 // its acknowledgement's time; only used when Acked
	Acked      bool  // acknowledged (ok) at Claim
}

// Poll is an ok poll of a key, as a point at its return: its highest offset read, and the
// value read there.
type Poll struct {
	Op         int64
	Process    int
	ReturnTime int64
	Last       int64
	Value      string
}

// Key is one key's sends and polls.
type Key struct {
	Name  string
	Sends []Send
	Polls []Poll
}

// Violation is a nonlinearizable op, or set of ops, of a key.
type Violation struct {
	Key         string
	Ops         []int64
	Offsets     []int64
	Values      []string
	Explanation string
}

// Verdict is the search's answer for one key.
type Verdict uint8

const (
	Legal   Verdict = iota
	Illegal         // a violation was found, though it may be one another check reports
	Unknown         // the time limit ran out (or the context ended) first
)

// Decider chooses what decides a segment.
type Decider uint8

const (
	// Auto uses porcupine, the model's step alone for a segment of one op, and the greedy
	// search for segments too long for porcupine.
	Auto Decider = iota
	// Porcupine uses porcupine for every segment, however long (to cross-check).
	Porcupine
	// Greedy uses the greedy search for every segment (to cross-check).
	Greedy
)

// Options tune the search.
type Options struct {
	// TimeLimit bounds the whole search; zero means none.
	TimeLimit time.Duration
	// Deadline, when set, is when the search stops instead of TimeLimit after it begins: for a
	// caller that checks keys one Check at a time under one limit (TimeLimit still names the
	// limit in Incomplete).
	Deadline time.Time
	Decider  Decider
}

// Stats describe the work done.
type Stats struct {
	Ops      int64 // ops searched
	Segments int64
	Largest  int   // ops of the largest segment
	Fallback int64 // segments decided by the greedy search
}

// Outcome is what the search found. Violations come first for keys found nonlinearizable
// before any search (in key order), then for keys the search found so (in key order).
type Outcome struct {
	Violations []Violation
	Incomplete []string  // why keys could not be decided
	Verdicts   []Verdict // per plan, in order
	Stats      Stats
}

// Check searches the keys' plans in parallel (see Prepare), sharing one deadline.
func Check(ctx context.Context, plans []Plan, opts Options) Outcome {
	var out Outcome
	var tasks []*linTask
	for i, p := range plans {
		if len(p.static) > 0 {
			out.Violations = append(out.Violations, p.static...)
			continue
		}
		out.Stats.Ops += int64(len(p.ops))
		var cur, singles *linTask
		for seg := range allSegments(p.ops) {
			out.Stats.Segments++
			out.Stats.Largest = max(out.Stats.Largest, len(seg.ops))
			switch {
			case opts.Decider == Greedy || opts.Decider == Auto && len(seg.ops) > maxPorcupineOps:
				out.Stats.Fallback++
				tasks = append(tasks, &linTask{key: i, ops: seg.ops, start: seg.start, fallback: true})
				cur = nil
			case opts.Decider == Auto && len(seg.ops) == 1:
				// One op alone from a known state: the model's own step decides it, within the
				// search's time limit like any other task.
				if singles == nil || singles.singles == chunkOps {
					singles = &linTask{key: i, start: -1}
					tasks = append(tasks, singles)
				}
				singles.singles++
				if !singleLegal(seg.ops[0], seg.start) && singles.ops == nil {
					singles.ops, singles.start = seg.ops, seg.start
				}
			default:
				if cur == nil || len(cur.ops)+len(seg.ops) > chunkOps {
					cur = &linTask{key: i, start: seg.start, ops: make([]linOp, 0, max(len(seg.ops), chunkOps/2))}
					tasks = append(tasks, cur)
				}
				cur.pack(seg)
			}
		}
	}
	deadline := opts.Deadline
	if deadline.IsZero() && opts.TimeLimit > 0 {
		deadline = time.Now().Add(opts.TimeLimit)
	}
	runTasks(ctx, tasks, deadline)

	illegal := make(map[int]*linTask)
	unknown := make(map[int]int)
	for _, t := range tasks {
		switch t.outcome {
		case porcupine.Illegal:
			if illegal[t.key] == nil {
				illegal[t.key] = t
			}
		case porcupine.Unknown:
			unknown[t.key]++
		}
	}
	out.Verdicts = make([]Verdict, len(plans))
	for i, p := range plans {
		if len(p.static) > 0 {
			out.Verdicts[i] = Illegal
			continue
		}
		if t := illegal[i]; t != nil {
			out.Verdicts[i] = Illegal
			if v, ok := explainIllegal(p.key, p.ops, t); ok {
				out.Violations = append(out.Violations, v)
			}
			continue
		}
		if n := unknown[i]; n > 0 {
			out.Verdicts[i] = Unknown
			out.Incomplete = append(out.Incomplete, fmt.Sprintf(
				"key %s: linearizability search ran out of time (limit %s) with %d chunk(s) undecided",
				p.key, opts.TimeLimit, n))
		}
	}
	return out
}

// explainIllegal names the ops that cannot be placed, using the greedy search over the whole
// key for a precise explanation. It reports nothing when every violation is one another check
// already names.
func explainIllegal(key string, all []linOp, t *linTask) (Violation, bool) {
	if v := greedyViolations(all, 0); len(v) > 0 {
		var kept []Violation
		for _, x := range v {
			if !x.reportedElsewhere {
				kept = append(kept, x.Violation)
			}
		}
		if len(kept) == 0 {
			return Violation{}, false
		}
		a := kept[0]
		a.Key = key
		if len(kept) > 1 {
			a.Explanation += fmt.Sprintf(" (%d more ops cannot be placed either)", len(kept)-1)
		}
		return a, true
	}
	a := Violation{Key: key, Explanation: fmt.Sprintf("porcupine found no linearization of %d ops", len(t.ops))}
	for i, op := range t.ops {
		if i == 50 {
			break
		}
		a.Ops = append(a.Ops, op.op)
	}
	return a, true
}

func (v Verdict) String() string {
	switch v {
	case Legal:
		return "legal"
	case Illegal:
		return "illegal"
	}
	return "unknown"
}
