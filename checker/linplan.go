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
	acked   bool // send: acknowledged (ok)
}

// linPlan is a key's history prepared for the search.
type linPlan struct {
	ops    []linOp // sorted by call time
	static []Anomaly
}

// planKey resolves sends to offsets and builds the operations for the search. What other
// checks already report is not judged again here: two values at one offset (inconsistent-offsets),
// a value at several offsets (duplicate), a read of a failed send (aborted-read), a read of a
// value nobody sent (phantom-read), a gap inside one poll (poll-skip). Each offset gets one
// owner, the first send to claim it, and the model is searched over those, so what is left for
// nonlinearizable is real-time order: a send placed before one that completed before it was
// invoked, or a poll that saw an offset before the send there was invoked.
func planKey(k *keyState, opts Options) linPlan {
	var plan linPlan
	owners := make(map[int64]*valueRecord)
	// In invocation order, not map order: which of two sends claims an offset first decides
	// which one owns it, and the same history must give the same verdict every time.
	values := make([]*valueRecord, 0, len(k.values))
	for _, r := range k.values {
		values = append(values, r)
	}
	slices.SortFunc(values, func(a, b *valueRecord) int { return cmp.Compare(a.invokeOp, b.invokeOp) })
	for _, r := range values {
		if r.invokeOp < 0 || len(r.seen) == 0 || r.lost {
			// Values nobody sent sit at free positions; unread unacked sends may not have
			// happened; a lost write is reported as such, and whatever later took its offset
			// must not count against it again.
			continue
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
		if _, taken := owners[own]; own >= 0 && !taken {
			owners[own] = r
		}
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
		if owners[p.last] != p.lastRec {
			// The poll read another value where the model's log has its owner: a log that was
			// later truncated (inconsistent-offsets, lost-write or phantom-read say so). It says
			// nothing about when the owner was appended.
			continue
		}
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
			done: w.completeOp, offset: o, process: w.process, acked: w.status == sentOK})
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
