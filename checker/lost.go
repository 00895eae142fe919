package checker

import (
	"fmt"
	"strings"
)

// lostAndUnseen finds acknowledged sends that no poll ever read. If a poll
// read past the acknowledged offset the write was lost (consumers moved
// beyond it); otherwise it is merely unseen (nobody read that far).
func lostAndUnseen(k *keyState) []Anomaly {
	var out []Anomaly
	for _, r := range k.values {
		if r.status != sentOK || r.firstRead >= 0 {
			continue
		}
		if k.maxRead > r.ack {
			out = append(out, Anomaly{
				Type: LostWrite, Key: k.name,
				Ops:     []int64{r.invokeOp, r.completeOp, k.maxReadOp},
				Process: intp(r.process),
				Offsets: []int64{r.ack, k.maxRead},
				Values:  []string{r.value},
				Explanation: fmt.Sprintf("send of %q was acknowledged at offset %d but never read, although op %d read up to offset %d",
					r.value, r.ack, k.maxReadOp, k.maxRead),
			})
			continue
		}
		out = append(out, Anomaly{
			Type: Unseen, Key: k.name,
			Ops:     []int64{r.invokeOp, r.completeOp},
			Process: intp(r.process),
			Offsets: []int64{r.ack},
			Values:  []string{r.value},
			Explanation: fmt.Sprintf("send of %q was acknowledged at offset %d but no poll read it or anything past it",
				r.value, r.ack),
		})
	}
	return out
}

// MarkUndrained accounts for a final drain that did not read the given keys (partitions) up to
// their high watermark: an unseen write there may simply not have been read, so those Unseen
// reports are dropped and the verdict can be at best unknown. Lost writes stay: they are proven
// by reads past the write, whatever the drain did.
func (r *Result) MarkUndrained(keys []string, allow map[AnomalyType]bool) {
	if len(keys) == 0 {
		return
	}
	undrained := map[string]bool{}
	for _, k := range keys {
		undrained[k] = true
	}
	var kept []Anomaly
	dropped := 0
	for _, a := range r.Anomalies[Unseen] {
		if undrained[a.Key] {
			dropped++
			continue
		}
		kept = append(kept, a)
	}
	r.Anomalies[Unseen] = kept
	r.Incomplete = append(r.Incomplete, fmt.Sprintf(
		"the final drain did not reach the high watermark of %s: %d unseen writes there are unknown, not anomalies",
		strings.Join(keys, ", "), dropped))
	r.Allowed = nil
	r.verdict(allow)
}
