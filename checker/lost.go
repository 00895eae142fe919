package checker

import "fmt"

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
