package checker

import (
	"fmt"
	"sort"
)

// inconsistentOffsets finds offsets that hold more than one distinct value
// across ok sends and ok polls: replicas or consumers disagree on the log.
func inconsistentOffsets(k *keyState) []Anomaly {
	if len(k.conflicts) == 0 {
		return nil
	}
	byOffset := make(map[int64][]conflict)
	for _, c := range k.conflicts {
		byOffset[c.offset] = append(byOffset[c.offset], c)
	}
	offsets := make([]int64, 0, len(byOffset))
	for o := range byOffset {
		offsets = append(offsets, o)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	out := make([]Anomaly, 0, len(offsets))
	for _, o := range offsets {
		first := k.offsets.at(o, false)
		a := Anomaly{Type: InconsistentOffsets, Key: k.name, Offsets: []int64{o},
			Ops: []int64{first.op}, Values: []string{k.c.str(k.c.rec(first.ref - 1))}}
		for _, c := range byOffset[o] {
			a.Ops = append(a.Ops, c.op)
			a.Values = append(a.Values, c.value)
		}
		a.Explanation = fmt.Sprintf("offset %d holds %d different values %q", o, len(a.Values), a.Values)
		out = append(out, a)
	}
	return out
}
