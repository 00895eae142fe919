package checker

// The final log as checker/txn consults it once the whole history has been read: what the
// drain's polls covered, and whether a committed write is proven lost from it, by the rules the
// queue checker holds acknowledged sends to.

// DrainSpan is the stretch [From, End) of a key that the final drain's ok poll Op covered.
type DrainSpan struct {
	From, End int64
	Op        int64
}

// DrainSpans are what the final drain's ok polls of key that said where they asked covered, by
// the rule its completeness is judged by (drainState.complete): each poll from where it asked to
// past its last record, and in a transactional history up to where the same process's next
// drain poll of key asked.
func (c *Checker) DrainSpans(key string) []DrainSpan {
	k := c.keys[key]
	if k == nil {
		return nil
	}
	spans := k.drain.covered(c.fed > 0)
	out := make([]DrainSpan, len(spans))
	for i, s := range spans {
		out[i] = DrainSpan{From: s[0], End: s[1], Op: k.drain.spanOps[i]}
	}
	return out
}

// FinalLoss is what the final log shows of a committed write (FinalLogLoss).
type FinalLoss struct {
	// Lost: the final log proves it lost; Proof is the op that shows it and Why says how (to
	// follow "..., but ").
	Lost  bool
	Proof int64
	Why   string
	// Unjudged: neither confirmed nor proven lost, the key's drain incomplete or begun above it.
	Unjudged bool
}

// FinalLogLoss judges a committed write of value to key at offset, one the history shows
// committed other than by its acknowledgement, against the final log as durability judges an
// acknowledged send. A history without a marked final drain judges nothing. Call it once the
// whole history has been observed.
func (c *Checker) FinalLogLoss(key, value string, offset int64) FinalLoss {
	k := c.keys[key]
	if !c.drained || k == nil {
		return FinalLoss{}
	}
	probe := valueRecord{firstRead: -1, drainOffset: -1, drainOp: -1}
	if r := k.record(value); r != nil {
		probe = *r
	}
	if probe.drainOp >= 0 && probe.drainOffset == offset {
		return FinalLoss{}
	}
	probe.ack = offset
	complete := k.drain.complete(c.fed > 0)
	if proof, why, lost := k.finalLogLoss(&probe, value, complete, c.pollsWithFrom == 0); lost {
		return FinalLoss{Lost: true, Proof: proof, Why: why}
	}
	return FinalLoss{Unjudged: !complete || offset < k.drain.from}
}
