package checker

import (
	"fmt"
	"sort"
	"strings"
)

// finalLogReport collects, across keys, the acknowledged writes the final log could not judge.
type finalLogReport struct {
	undrained   []string // keys whose final drain fell short, with how far it got
	unknown     int      // acknowledged writes there, neither confirmed nor proven lost
	beforeStart int      // acknowledged writes below where the drain began (the log start moved)
}

func (f finalLogReport) incomplete() []string {
	var out []string
	if len(f.undrained) > 0 {
		out = append(out, fmt.Sprintf("the final drain did not complete for %s: their final log is unknown, and %d acknowledged writes there are neither confirmed in it nor proven lost",
			strings.Join(f.undrained, ", "), f.unknown))
	}
	if f.beforeStart > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged writes sit below the offset the final drain started at (the log start moved): not judged", f.beforeStart))
	}
	return out
}

// durability checks every acknowledged write of k against the final log, the records the final
// drain read: a write must be there, at the offset it was acknowledged at. Histories without a
// marked drain fall back to what the polls alone can prove (lostAndUnseen).
func (c *Checker) durability(k *keyState, rep *finalLogReport) []Anomaly {
	if !c.drained {
		return lostAndUnseen(k)
	}
	d := k.drain
	complete := d.complete(c.fed > 0)
	var out []Anomaly
	unknown, acked := 0, false
	for r := range k.records() {
		if r.status != sentOK {
			continue
		}
		acked = true
		if r.drainOp >= 0 && r.drainOffset == r.ack {
			continue
		}
		if a, ok := k.lostFromFinalLog(r, complete, c.pollsWithFrom == 0); ok {
			r.lost = true
			out = append(out, a)
			continue
		}
		if complete && r.ack < d.from {
			rep.beforeStart++
		} else if !complete || r.drainOp < 0 {
			unknown++
		}
	}
	// An incomplete drain leaves the final log unknown, even where every write was seen once:
	// a log that shrank during the drain was read before it shrank.
	if acked && !complete {
		rep.unknown += unknown
		rep.undrained = append(rep.undrained, d.describe(k.name))
	}
	return out
}

// lostFromFinalLog decides whether the acknowledged write r, not found by the drain at its
// offset, is proven lost. With a complete drain it is lost unless its offset lies below the
// drain's start, or the drain saw nothing at that offset and found the value elsewhere (then
// duplicate or inconsistent-offsets say what moved). With an incomplete drain only direct proof
// counts: another value at its offset in the final log, or (readsProve: polls that do not say
// where they asked) reads past it that never saw it. Where polls say where they asked, a poll
// handed records past an existing offset it asked for is a poll-skip, and one that asked past
// it proves nothing.
func (k *keyState) lostFromFinalLog(r *valueRecord, complete, readsProve bool) (Anomaly, bool) {
	proof, why, ok := k.finalLogLoss(r, k.c.str(r), complete, readsProve)
	if !ok {
		return Anomaly{}, false
	}
	return Anomaly{Type: LostWrite, Key: k.name,
		Ops:     []int64{r.invokeOp, r.completeOp, proof},
		Process: intp(r.process), Offsets: []int64{r.ack}, Values: []string{k.c.str(r)},
		Explanation: fmt.Sprintf("send of %q was acknowledged at offset %d (op %d), but %s", k.c.str(r), r.ack, r.completeOp, why),
	}, true
}

// finalLogLoss is lostFromFinalLog's rule for a write of value (r's) at offset r.ack: the op
// that proves it lost and why, ok false when nothing does.
func (k *keyState) finalLogLoss(r *valueRecord, value string, complete, readsProve bool) (proof int64, why string, ok bool) {
	d := k.drain
	lost := func(proof int64, format string, args ...any) (int64, string, bool) {
		return proof, fmt.Sprintf(format, args...), true
	}
	if other, ok := k.finalValueAt(r.ack, value); ok {
		return lost(other.drainOp, "the final log holds %q there (op %d)", k.c.str(other), other.drainOp)
	}
	if complete {
		switch {
		case r.ack >= d.hw:
			return lost(d.hwOp, "the final log ends below it: its high watermark is %d (op %d)", d.hw, d.hwOp)
		case r.ack >= d.from && r.drainOp < 0:
			return lost(d.lastOp, "the complete final drain read offsets %d to %d (last op %d) and it was not there", d.from, d.hw-1, d.lastOp)
		}
		return -1, "", false
	}
	if readsProve && r.firstRead < 0 && k.maxRead > r.ack {
		return lost(k.maxReadOp, "no poll read it, although op %d read up to offset %d", k.maxReadOp, k.maxRead)
	}
	return -1, "", false
}

// finalValueAt returns a value other than not that the final drain read at offset.
func (k *keyState) finalValueAt(offset int64, not string) (*valueRecord, bool) {
	atOffset := func(r *valueRecord) (*valueRecord, bool) {
		if r == nil || k.c.str(r) == not {
			return nil, false
		}
		return r, r.drainOp >= 0 && r.drainOffset == offset
	}
	if first := k.offsets.at(offset, false); first != nil && first.ref > 0 {
		if r, ok := atOffset(k.c.rec(first.ref - 1)); ok {
			return r, true
		}
	}
	if !k.hasConflictAt(offset) {
		return nil, false
	}
	for _, v := range k.conflictsAt[offset] {
		if r, ok := atOffset(k.record(v)); ok {
			return r, true
		}
	}
	return nil, false
}

// lostAndUnseen is the rule for histories without a marked final drain: an acknowledged send
// that no poll ever read is lost if a poll read past it, else merely unseen.
func lostAndUnseen(k *keyState) []Anomaly {
	var out []Anomaly
	for r := range k.records() {
		if r.status != sentOK || r.firstRead >= 0 {
			continue
		}
		if k.maxRead > r.ack {
			r.lost = true
			out = append(out, Anomaly{
				Type: LostWrite, Key: k.name,
				Ops:     []int64{r.invokeOp, r.completeOp, k.maxReadOp},
				Process: intp(r.process),
				Offsets: []int64{r.ack, k.maxRead},
				Values:  []string{k.c.str(r)},
				Explanation: fmt.Sprintf("send of %q was acknowledged at offset %d but never read, although op %d read up to offset %d",
					k.c.str(r), r.ack, k.maxReadOp, k.maxRead),
			})
			continue
		}
		out = append(out, Anomaly{
			Type: Unseen, Key: k.name,
			Ops:     []int64{r.invokeOp, r.completeOp},
			Process: intp(r.process),
			Offsets: []int64{r.ack},
			Values:  []string{k.c.str(r)},
			Explanation: fmt.Sprintf("send of %q was acknowledged at offset %d but no poll read it or anything past it",
				k.c.str(r), r.ack),
		})
	}
	return out
}

// formatWarnings says what an older history's missing fields leave unjudged.
func (c *Checker) formatWarnings() []string {
	if c.clientInvokes == 0 {
		return nil
	}
	var out []string
	if !c.drained && c.stats.SendsOK > 0 {
		out = append(out, "no poll is marked as the final drain (\"drain\": true): acknowledged writes are not checked against the final log, so a write that was read and later lost passes, and unread ones are unseen rather than lost")
	}
	polls := c.stats.PollsOK + c.stats.PollsFail + c.stats.PollsInfo
	if polls > 0 && c.pollsWithFrom == 0 {
		out = append(out, "polls do not say which offset they asked for (\"from\"): skips are judged only between one process's polls")
	}
	if c.stats.PollsOK > 0 && c.pollsWithHW == 0 {
		out = append(out, "polls carry no high watermark (\"hw\"): realtime lag is measured from the records read, which includes the consumers' own pace")
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
