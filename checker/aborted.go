package checker

import "fmt"

// abortedReads finds values that were read although their send failed
// definitively: the client was told the write did not happen.
func abortedReads(k *keyState) []Anomaly {
	var out []Anomaly
	for r := range k.records() {
		if r.status != sentFail || r.firstRead < 0 {
			continue
		}
		a := Anomaly{Type: AbortedRead, Key: k.name,
			Ops:         []int64{r.invokeOp, r.completeOp, r.firstRead},
			Process:     intp(r.process),
			Values:      []string{k.c.str(r)},
			Explanation: fmt.Sprintf("send of %q failed (op %d) but op %d read it", k.c.str(r), r.completeOp, r.firstRead),
		}
		for _, s := range k.seen(r) {
			a.Offsets = append(a.Offsets, s.offset)
		}
		out = append(out, a)
	}
	return out
}
