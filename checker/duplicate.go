package checker

import (
	"fmt"
	"sort"
)

// duplicates finds values that appear at more than one offset of a key,
// counting both acknowledged offsets and reads.
func duplicates(k *keyState) []Anomaly {
	var out []Anomaly
	for r := range k.records() {
		if r.nseen < 2 {
			continue
		}
		seen := k.seen(r)
		sort.Slice(seen, func(i, j int) bool { return seen[i].offset < seen[j].offset })
		a := Anomaly{Type: Duplicate, Key: k.name, Values: []string{k.c.str(r)}}
		if r.invokeOp >= 0 {
			a.Ops = append(a.Ops, r.invokeOp)
			a.Process = intp(r.process)
		}
		for _, s := range seen {
			a.Offsets = append(a.Offsets, s.offset)
			a.Ops = append(a.Ops, s.op)
		}
		a.Explanation = fmt.Sprintf("value %q appears at %d offsets %v", k.c.str(r), len(seen), a.Offsets)
		out = append(out, a)
	}
	return out
}
