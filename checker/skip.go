package checker

import (
	"fmt"
	"sort"
)

// sortedOffsets returns every offset known to exist for k: read by an ok
// poll or acknowledged to an ok send. An offset whose record an aborted transaction sent does
// not count: a read-committed consumer rightly skips it (reading it is an aborted-read).
func sortedOffsets(k *keyState) []int64 {
	var out []int64
	for o, rec := range k.offsets.all {
		if rec.ref == 0 || k.c.rec(rec.ref-1).aborted {
			continue
		}
		out = append(out, o)
	}
	return out
}

// existingBetween returns the offsets of sorted strictly between from and to.
func existingBetween(sorted []int64, from, to int64) []int64 {
	lo := sort.Search(len(sorted), func(i int) bool { return sorted[i] > from })
	hi := sort.Search(len(sorted), func(i int) bool { return sorted[i] >= to })
	if lo >= hi {
		return nil
	}
	return sorted[lo:hi]
}

// pollSkips judges the gaps a process's polls jumped over: a gap is a skip
// if any offset inside it exists. Gaps over offsets nobody ever saw are
// fine (Kafka offsets need not be dense).
func pollSkips(k *keyState) []Anomaly {
	if len(k.gaps) == 0 {
		return nil
	}
	sorted := sortedOffsets(k)
	var out []Anomaly
	for _, g := range k.gaps {
		missed := existingBetween(sorted, g.from, g.to)
		if len(missed) == 0 {
			continue
		}
		ops := []int64{g.ops[0]}
		if g.ops[1] != g.ops[0] {
			ops = append(ops, g.ops[1])
		}
		why := fmt.Sprintf("process %d's polls jumped from offset %d to %d", g.process, g.from, g.to)
		offsets := []int64{g.from, g.to}
		if g.asked {
			why = fmt.Sprintf("op %d asked for offset %d and was given offset %d first", g.ops[0], g.from+1, g.to)
			offsets = []int64{g.from + 1, g.to}
		}
		out = append(out, Anomaly{Type: PollSkip, Key: k.name, Ops: ops, Process: intp(g.process),
			Offsets:     offsets,
			Explanation: fmt.Sprintf("%s, skipping %d existing offset(s) starting at %d", why, len(missed), missed[0]),
		})
	}
	return out
}
