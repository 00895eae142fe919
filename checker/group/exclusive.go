package group

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/checker"
)

// sharedPartitions reports a partition that two members were assigned, or consumed from, in
// the same generation of a group. Members of older generations may still poll (fetches do not
// check generations), but they carry their own generation, so they are not counted here.
func sharedPartitions(h *groupHistory) []checker.Anomaly {
	type slot struct {
		group, key string
		generation int
	}
	type owner struct {
		member string
		op     int64
	}
	var out []checker.Anomaly
	report := func(s slot, first owner, member string, op int64, what string) {
		out = append(out, checker.Anomaly{Type: checker.GroupSharedPartition, Key: s.key, Ops: []int64{first.op, op},
			Explanation: fmt.Sprintf("%s: members %s and %s both %s in generation %d of group %s", s.key, first.member, member, what, s.generation, s.group)})
	}
	assigned := map[slot]owner{}
	for _, rb := range h.rebalances {
		for _, key := range rb.keys {
			s := slot{rb.group, key, rb.generation}
			if first, ok := assigned[s]; ok && first.member != rb.member {
				report(s, first, rb.member, rb.index, "were assigned it")
				continue
			}
			assigned[s] = owner{rb.member, rb.index}
		}
	}
	consumed := map[slot]owner{}
	reported := map[slot]bool{}
	for _, p := range h.polls {
		for key, reads := range p.reads {
			if len(reads) == 0 {
				continue
			}
			s := slot{p.group, key, p.generation}
			first, ok := consumed[s]
			if !ok {
				consumed[s] = owner{p.member, p.index}
				continue
			}
			if first.member != p.member && !reported[s] {
				reported[s] = true
				report(s, first, p.member, p.index, "read records of it")
			}
		}
	}
	return out
}
