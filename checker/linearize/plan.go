package linearize

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"sort"
)

const never = math.MaxInt64 // time of an event that did not happen

// linOp is one operation of a key's linearizability history. The model
// is an append-only log whose state is the number of owned positions
// appended so far (owned positions are the offsets some send in the
// history is known to have written). Values are compared against the
// shared offset table once, up front, so the state is a single int and
// the log itself is never copied.
type linOp struct {
	send    bool
	rank    int // send: the rank of the position it appends; poll: ranks it needs appended
	call    int64
	ret     int64
	op      int64 // send: invocation index; poll: completion index
	done    int64 // send: completion index or -1
	offset  int64 // send: its offset; poll: highest offset read
	process int
	acked   bool // send: acknowledged (ok)
}

// Plan is a key's history prepared for the search.
type Plan struct {
	key    string
	ops    []linOp // sorted by call time
	static []Violation
}

// Prepare gives each claimed offset its owner, the first send (by InvokeOp) to claim it, and
// builds the ops searched over those. Sends claiming a negative offset are left out. A poll
// that read, at its highest offset, a value other than the owner's (a log later truncated)
// says nothing about when the owner was appended and is left out too. The plan keeps nothing
// of k's slices, so the caller may reuse them.
func Prepare(k Key) Plan {
	owners := make(map[int64]*Send)
	// In invocation order, not the caller's: which of two sends claims an offset first decides
	// which one owns it, and the same history must give the same verdict every time.
	sends := make([]*Send, 0, len(k.Sends))
	for i := range k.Sends {
		sends = append(sends, &k.Sends[i])
	}
	slices.SortFunc(sends, func(a, b *Send) int { return cmp.Compare(a.InvokeOp, b.InvokeOp) })
	for _, s := range sends {
		if _, taken := owners[s.Claim]; s.Claim >= 0 && !taken {
			owners[s.Claim] = s
		}
	}
	plan := Plan{key: k.Name}
	plan.ops, plan.static = buildOps(k, owners)
	return plan
}

// buildOps ranks the owned offsets and turns sends and polls into linOps.
// A send whose outcome is unknown but whose value was read must have taken
// effect before the first op that saw its position (or a later one)
// returned, so that bounds its return time, as etcd's checker does.
func buildOps(k Key, owners map[int64]*Send) ([]linOp, []Violation) {
	offsets := make([]int64, 0, len(owners))
	for o := range owners {
		offsets = append(offsets, o)
	}
	slices.Sort(offsets)
	n := len(offsets)
	// earliest[r] is the earliest return of an op needing rank r appended.
	earliest := make([]int64, n+1)
	earliestOp := make([]int64, n+1)
	for i := range earliest {
		earliest[i], earliestOp[i] = never, -1
	}
	note := func(rank int, ret, op int64) {
		if rank >= 0 && ret < earliest[rank] {
			earliest[rank], earliestOp[rank] = ret, op
		}
	}
	needs := make([]int, len(k.Polls))
	for i, p := range k.Polls {
		if w := owners[p.Last]; w == nil || w.Value != p.Value {
			continue // read from a log later truncated: see Prepare
		}
		needs[i] = sort.Search(n, func(j int) bool { return offsets[j] > p.Last })
		note(needs[i]-1, p.ReturnTime, p.Op)
	}
	for r, o := range offsets {
		if w := owners[o]; w.Acked {
			note(r-1, w.ReturnTime, w.CompleteOp)
		}
	}
	for r := n - 1; r >= 0; r-- {
		if earliest[r+1] < earliest[r] {
			earliest[r], earliestOp[r] = earliest[r+1], earliestOp[r+1]
		}
	}
	ops := make([]linOp, 0, n+len(k.Polls))
	var static []Violation
	for r, o := range offsets {
		w := owners[o]
		ret := w.ReturnTime
		if !w.Acked {
			ret = earliest[r]
			if ret < w.InvokeTime {
				static = append(static, Violation{Key: k.Name,
					Ops: []int64{w.InvokeOp, earliestOp[r]}, Offsets: []int64{o}, Values: []string{w.Value},
					Explanation: fmt.Sprintf("op %d saw offset %d (or later) before the send of %q there was invoked (op %d)",
						earliestOp[r], o, w.Value, w.InvokeOp)})
			}
		}
		ops = append(ops, linOp{send: true, rank: r, call: w.InvokeTime, ret: ret, op: w.InvokeOp,
			done: w.CompleteOp, offset: o, process: w.Process, acked: w.Acked})
	}
	sendRet := func(rank int) int64 { return ops[rank].ret }
	for i, p := range k.Polls {
		need := needs[i]
		// A poll is a point at its return: state only grows, so a later
		// point is never worse. Polls whose needs were surely met by
		// then cannot fail and are left out.
		if need == 0 || sendRet(need-1) <= p.ReturnTime {
			continue
		}
		ops = append(ops, linOp{rank: need, call: p.ReturnTime, ret: p.ReturnTime, op: p.Op, done: -1,
			offset: p.Last, process: p.Process})
	}
	slices.SortFunc(ops, func(a, b linOp) int {
		if c := cmp.Compare(a.call, b.call); c != 0 {
			return c
		}
		return cmp.Compare(a.ret, b.ret)
	})
	return ops, static
}

// segment is a run of ops with no op spanning its boundaries; start is the
// number of sends (ranks) linearized before it.
type segment struct {
	ops   []linOp
	start int
}

// segments cuts ops at quiescent points. The state there is determined
// (every earlier send precedes every later op), so each segment can be
// searched alone: this keeps porcupine's per-step cost small.
func segments(ops []linOp) []segment {
	return slices.Collect(allSegments(ops))
}

// allSegments yields the segments of ops one by one (see segments), allocating nothing.
func allSegments(ops []linOp) iter.Seq[segment] {
	return func(yield func(segment) bool) {
		begin, sends, startSends := 0, 0, 0
		maxRet := int64(-1 << 63)
		for i, op := range ops {
			if i > begin && op.call > maxRet {
				if !yield(segment{ops: ops[begin:i], start: startSends}) {
					return
				}
				begin, startSends = i, sends
			}
			maxRet = max(maxRet, op.ret)
			if op.send {
				sends++
			}
		}
		if begin < len(ops) {
			yield(segment{ops: ops[begin:], start: startSends})
		}
	}
}
