package group

import (
	"fmt"
	"sort"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// commitEvent is an acknowledged commit, or a committed offset read back at a rebalance.
type commitEvent struct {
	invoke, done, offset, op int64
}

// ackedCommits returns each (group, key)'s ok commits, by completion time.
func ackedCommits(h *groupHistory) map[[2]string][]commitEvent {
	out := map[[2]string][]commitEvent{}
	for _, c := range h.commits {
		if c.typ != history.OK {
			continue
		}
		for key, off := range c.offsets {
			k := [2]string{c.group, key}
			out[k] = append(out[k], commitEvent{c.invokeTime, c.doneTime, off, c.index})
		}
	}
	for _, list := range out {
		sort.Slice(list, func(i, j int) bool { return list[i].done < list[j].done })
	}
	return out
}

// highestBefore returns the highest offset among commits acknowledged before t, and its op.
func highestBefore(list []commitEvent, t int64) (commitEvent, bool) {
	best, found := commitEvent{offset: -1}, false
	for _, c := range list {
		if c.done >= t {
			break
		}
		if !found || c.offset > best.offset {
			best, found = c, true
		}
	}
	return best, found
}

// commitRegressions reports a partition's committed offset going backwards: an acknowledged
// commit below one acknowledged before it was invoked, or a rebalance reading back a
// committed offset below one acknowledged before the rebalance began. Concurrent commits are
// not ordered, so they are not compared.
func commitRegressions(h *groupHistory) []checker.Anomaly {
	acked := ackedCommits(h)
	var out []checker.Anomaly
	for k, list := range acked {
		for _, c := range list {
			if prev, ok := highestBefore(list, c.invoke); ok && c.offset < prev.offset {
				out = append(out, checker.Anomaly{Type: checker.GroupCommitRegression, Key: k[1], Ops: []int64{prev.op, c.op}, Offsets: []int64{prev.offset, c.offset},
					Explanation: fmt.Sprintf("group %s committed %s at %d (op %d), after a commit at %d was acknowledged (op %d)", k[0], k[1], c.offset, c.op, prev.offset, prev.op)})
			}
		}
	}
	for _, rb := range h.rebalances {
		for key, committed := range rb.offsets {
			prev, ok := highestBefore(acked[[2]string{rb.group, key}], rb.invokeTime)
			if ok && committed < prev.offset {
				out = append(out, checker.Anomaly{Type: checker.GroupCommitRegression, Key: key, Ops: []int64{prev.op, rb.index}, Offsets: []int64{prev.offset, committed},
					Explanation: fmt.Sprintf("member %s of group %s read back committed offset %d of %s at its rebalance (op %d), below the commit at %d acknowledged before (op %d)", rb.member, rb.group, committed, key, rb.index, prev.offset, prev.op)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ops[1] < out[j].Ops[1] })
	return out
}
