package checker

import (
	"cmp"
	"fmt"
	"slices"
)

// phantomReads finds values that polls of k returned although no send to k carried them: either
// no send in the history did, or the value was sent to another key (a misrouted record).
// Values are unique across the whole history, so either way the read shows data nobody wrote
// there.
func (c *Checker) phantomReads(k *keyState) []Anomaly {
	var out []Anomaly
	for r := range k.records() {
		if r.invokeOp >= 0 || r.nseen == 0 {
			continue
		}
		seen := k.seen(r)
		slices.SortFunc(seen, func(a, b appearance) int { return cmp.Compare(a.op, b.op) })
		a := Anomaly{Type: PhantomRead, Key: k.name, Ops: []int64{seen[0].op}, Values: []string{k.c.str(r)}}
		for _, s := range seen {
			a.Offsets = append(a.Offsets, s.offset)
		}
		where := "no send in the history carried it"
		if sent := c.sentRecord(c.homeOf(r)); sent != nil {
			a.Ops = append(a.Ops, sent.invokeOp)
			a.Process = intp(sent.process)
			where = fmt.Sprintf("it was sent to %s (op %d)", c.keyList[sent.key].name, sent.invokeOp)
		}
		a.Explanation = fmt.Sprintf("op %d read %q at offset %d of %s, but %s", seen[0].op, k.c.str(r), seen[0].offset, k.name, where)
		if len(seen) > 1 {
			a.Explanation += fmt.Sprintf(" (read %d times)", len(seen))
		}
		out = append(out, a)
	}
	return out
}
