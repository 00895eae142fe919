package linearize

import (
	"fmt"
	"sort"
)

// greedyViolations decides the log model exactly without search. Sends
// must take effect in rank order, each inside its interval; placing each
// as early as possible is optimal because polls only need enough sends
// before them. ops may be a segment whose sends should have ranks
// start, start+1, ...; it returns one anomaly per op that cannot be
// placed, earliest first. It also cross-checks porcupine in tests.
func greedyViolations(ops []linOp, start int) []violation {
	var sends []*linOp
	for i := range ops {
		if ops[i].send {
			sends = append(sends, &ops[i])
		}
	}
	sort.Slice(sends, func(i, j int) bool { return sends[i].rank < sends[j].rank })
	var out []violation
	// at[i] is the earliest time sends[i] can take effect; by[i] is the
	// send whose invocation forced it.
	at := make([]int64, len(sends))
	by := make([]*linOp, len(sends))
	// top1 and top2 are the latest-invoked earlier sends of two different colors: an acknowledged
	// send's color is its process, any other send's its own. Two acknowledged sends of one
	// process out of order are nonmonotonic-send; the explanation names one of another color
	// when there is one, so that a violation across processes is not hidden behind it.
	var top1, top2 *linOp
	color := func(s *linOp) int64 {
		if s.acked {
			return int64(s.process)
		}
		return -1 - s.op
	}
	for i, s := range sends {
		if s.rank != start+i {
			out = append(out, violation{Violation: Violation{Ops: []int64{s.op}, Offsets: []int64{s.offset},
				Explanation: fmt.Sprintf("the send acked at offset %d (op %d) overlaps no send of the offset before it", s.offset, s.op)}})
			return out
		}
		at[i], by[i] = s.call, s
		if i > 0 && at[i-1] > s.call {
			at[i], by[i] = at[i-1], by[i-1]
		}
		if at[i] > s.ret {
			culprit, elsewhere := top1, false
			if s.acked && color(top1) == color(s) {
				if top2 != nil && top2.call > s.ret {
					culprit = top2
				} else {
					elsewhere = true // only the same process's own acknowledged send: nonmonotonic-send
				}
			}
			out = append(out, violation{Violation: Violation{Ops: []int64{s.op, s.done, culprit.op},
				Offsets: []int64{s.offset, culprit.offset},
				Explanation: fmt.Sprintf("the send at offset %d (op %d) returned before the send at earlier offset %d was invoked (op %d)",
					s.offset, s.op, culprit.offset, culprit.op)},
				reportedElsewhere: elsewhere})
		}
		switch {
		case top1 == nil || s.call > top1.call:
			if top1 != nil && color(top1) != color(s) {
				top2 = top1
			}
			top1 = s
		case color(s) != color(top1) && (top2 == nil || s.call > top2.call):
			top2 = s
		}
	}
	for i := range ops {
		p := &ops[i]
		if p.send || p.rank <= start {
			continue
		}
		j := p.rank - 1 - start
		if j >= len(sends) {
			out = append(out, violation{Violation: Violation{Ops: []int64{p.op}, Offsets: []int64{p.offset},
				Explanation: fmt.Sprintf("poll op %d read up to offset %d before the sends there were invoked", p.op, p.offset)}})
			continue
		}
		if at[j] > p.ret {
			out = append(out, violation{Violation: Violation{Ops: []int64{p.op, by[j].op},
				Offsets: []int64{p.offset, sends[j].offset},
				Explanation: fmt.Sprintf("poll op %d read up to offset %d before the send at offset %d was invoked (op %d)",
					p.op, p.offset, sends[j].offset, by[j].op)}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ops[0] < out[j].Ops[0] })
	return out
}

// violation is an op the model cannot place. reportedElsewhere marks one another check already
// names (so nonlinearizable does not count it twice).
type violation struct {
	Violation
	reportedElsewhere bool
}
