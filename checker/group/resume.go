package group

import (
	"fmt"
	"sort"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// resumeSkips reports a member that, after a rebalance, resumes a partition beyond every
// commit that could have happened before: that would skip records no member has committed.
// A commit could have happened if it was invoked before the rebalance completed and did not
// definitely fail. Resuming earlier is at-least-once re-delivery, counted in the stats.
func resumeSkips(h *groupHistory) []checker.Anomaly {
	var out []checker.Anomaly
	for _, rb := range h.rebalances {
		for _, key := range rb.keys {
			committed, ok := rb.offsets[key]
			if !ok {
				continue
			}
			start, hasStart := rb.start[key]
			possible, op := int64(-1), int64(-1)
			for _, c := range h.commits {
				off, ok := c.offsets[key]
				if !ok || c.group != rb.group || c.typ == history.Fail || c.invokeTime > rb.doneTime {
					continue
				}
				if off > possible {
					possible, op = off, c.index
				}
			}
			switch {
			case committed >= 0 && committed > possible:
				out = append(out, resumeSkip(rb, key, committed, possible, op, "its committed offset"))
			case hasStart && committed >= 0 && start > committed:
				out = append(out, resumeSkip(rb, key, start, committed, rb.index, "its start position, past the committed offset,"))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ops[0] < out[j].Ops[0] })
	return out
}

func resumeSkip(rb groupOp, key string, at, bound, boundOp int64, what string) checker.Anomaly {
	ops := []int64{rb.index}
	if boundOp >= 0 && boundOp != rb.index {
		ops = append(ops, boundOp)
	}
	return checker.Anomaly{Type: checker.GroupResumeSkip, Key: key, Ops: ops, Offsets: []int64{at, bound},
		Explanation: fmt.Sprintf("member %s of group %s resumed %s at %d (rebalance op %d), %s, beyond %d, the highest offset any commit could have stored", rb.member, rb.group, key, at, rb.index, what, bound)}
}
