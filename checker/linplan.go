package checker

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

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
}

// linPlan is a key's history prepared for the search.
type linPlan struct {
	ops    []linOp // sorted by call time
	static []Anomaly
}

// planKey resolves sends to offsets, checks what can be decided from the
// offset table alone, and builds the operations for the search.
func planKey(k *keyState, opts Options) linPlan {
	var plan linPlan
	owners := make(map[int64]*valueRecord)
	violate := func(ops []int64, offsets []int64, values []string, format string, args ...any) {
		plan.static = append(plan.static, Anomaly{Type: Nonlinearizable, Key: k.name, Ops: ops,
			Offsets: offsets, Values: values, Explanation: fmt.Sprintf(format, args...)})
	}
	// In invocation order, not map order: which of two sends claims an offset first decides
	// which pair is reported, and the same history must give the same verdict every time.
	values := make([]*valueRecord, 0, len(k.values))
	for _, r := range k.values {
		values = append(values, r)
	}
	slices.SortFunc(values, func(a, b *valueRecord) int { return cmp.Compare(a.invokeOp, b.invokeOp) })
	for _, r := range values {
		if r.invokeOp < 0 || len(r.seen) == 0 {
			continue // values nobody sent sit at free positions; unread unacked sends may not have happened
		}
		own := int64(-1)
		switch r.status {
		case sentOK:
			own = r.ack
		case pending, sentInfo:
			own = minOffset(r.seen)
		case sentFail:
			if opts.Allow[AbortedRead] {
				own = minOffset(r.seen)
			}
		}
		if prev, dup := owners[own]; dup && own >= 0 {
			violate([]int64{prev.invokeOp, r.invokeOp}, []int64{own}, []string{prev.value, r.value},
				"offset %d is claimed by two sends", own)
			continue
		}
		if own >= 0 {
			owners[own] = r
		}
		for _, s := range r.seen {
			if s.offset == own || opts.Allow[Duplicate] && own >= 0 {
				continue
			}
			why := "its send failed"
			if own >= 0 {
				why = fmt.Sprintf("its send appends it once, at offset %d", own)
			}
			violate([]int64{r.invokeOp, s.op}, []int64{s.offset}, []string{r.value},
				"op %d read %q at offset %d, but %s", s.op, r.value, s.offset, why)
		}
	}
	for _, c := range k.conflicts {
		first := k.offsets[c.offset]
		violate([]int64{first.op, c.op}, []int64{c.offset}, []string{first.value, c.value},
			"offset %d holds both %q and %q; a log position holds one value", c.offset, first.value, c.value)
	}
	if len(k.gaps) > 0 {
		sorted := sortedOffsets(k)
		for _, g := range k.gaps {
			if g.ops[0] != g.ops[1] {
				continue // a consumer may seek between polls; within one poll it may not
			}
			if missed := existingBetween(sorted, g.from, g.to); len(missed) > 0 {
				violate([]int64{g.ops[0]}, []int64{g.from, missed[0], g.to}, nil,
					"op %d read offsets %d and %d but not %d between them; a poll reads a contiguous range of the log",
					g.ops[0], g.from, g.to, missed[0])
			}
		}
	}
	if len(plan.static) > 0 {
		return plan
	}
	plan.ops, plan.static = buildOps(k, owners)
	return plan
}

func minOffset(seen []appearance) int64 {
	m := seen[0].offset
	for _, s := range seen[1:] {
		m = min(m, s.offset)
	}
	return m
}

// buildOps ranks the owned offsets and turns sends and polls into linOps.
// A send whose outcome is unknown but whose value was read must have taken
// effect before the first op that saw its position (or a later one)
// returned, so that bounds its return time, as etcd's checker does.
func buildOps(k *keyState, owners map[int64]*valueRecord) ([]linOp, []Anomaly) {
	offsets := make([]int64, 0, len(owners))
	for o := range owners {
		offsets = append(offsets, o)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
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
	needs := make([]int, len(k.polls))
	for i, p := range k.polls {
		needs[i] = sort.Search(n, func(j int) bool { return offsets[j] > p.last })
		note(needs[i]-1, p.returnTime, p.op)
	}
	for r, o := range offsets {
		if w := owners[o]; w.status == sentOK {
			note(r-1, w.returnTime, w.completeOp)
		}
	}
	for r := n - 1; r >= 0; r-- {
		if earliest[r+1] < earliest[r] {
			earliest[r], earliestOp[r] = earliest[r+1], earliestOp[r+1]
		}
	}
	ops := make([]linOp, 0, n+len(k.polls))
	var static []Anomaly
	for r, o := range offsets {
		w := owners[o]
		ret := w.returnTime
		if w.status != sentOK {
			ret = earliest[r]
			if ret < w.invokeTime {
				static = append(static, Anomaly{Type: Nonlinearizable, Key: k.name,
					Ops: []int64{w.invokeOp, earliestOp[r]}, Offsets: []int64{o}, Values: []string{w.value},
					Explanation: fmt.Sprintf("op %d saw offset %d (or later) before the send of %q there was invoked (op %d)",
						earliestOp[r], o, w.value, w.invokeOp)})
			}
		}
		ops = append(ops, linOp{send: true, rank: r, call: w.invokeTime, ret: ret, op: w.invokeOp,
			done: w.completeOp, offset: o, process: w.process})
	}
	sendRet := func(rank int) int64 { return ops[rank].ret }
	for i, p := range k.polls {
		need := needs[i]
		// A poll is a point at its return: state only grows, so a later
		// point is never worse. Polls whose needs were surely met by
		// then cannot fail and are left out.
		if need == 0 || sendRet(need-1) <= p.returnTime {
			continue
		}
		ops = append(ops, linOp{rank: need, call: p.returnTime, ret: p.returnTime, op: p.op, done: -1,
			offset: p.last, process: p.process})
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].call != ops[j].call {
			return ops[i].call < ops[j].call
		}
		return ops[i].ret < ops[j].ret
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
	var out []segment
	begin, sends, startSends := 0, 0, 0
	maxRet := int64(-1 << 63)
	for i, op := range ops {
		if i > begin && op.call > maxRet {
			out = append(out, segment{ops: ops[begin:i], start: startSends})
			begin, startSends = i, sends
		}
		maxRet = max(maxRet, op.ret)
		if op.send {
			sends++
		}
	}
	if begin < len(ops) {
		out = append(out, segment{ops: ops[begin:], start: startSends})
	}
	return out
}
