package txn

import (
	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// feed hands a completed (or, at the end, never completed) transaction's sends and polls to the
// queue checker: a committed transaction's sends as acknowledged at their offsets, an aborted
// one's as failed (an aborted record's offset holds no committed record), an indeterminate
// one's as info; its polls as one ok poll.
func (c *Checker) feed(t *txn) error {
	sent := map[kid]bool{}
	for _, s := range c.sendsOf(t) {
		fs := checker.Send{Process: int(t.process), InvokeOp: t.invokeOp, CompleteOp: t.completeOp,
			InvokeTime: t.invokeTime, CompleteTime: t.completeTime,
			Key: c.keyNames[s.key], Value: c.values[s.val], Type: t.historyType()}
		switch {
		case t.typ == outOK && s.offset >= 0:
			off := s.offset
			fs.Offset, fs.Follows = &off, sent[s.key]
			sent[s.key] = true
		case t.typ == outOK:
			// Committed, but the client never learned where: nothing to hold it to at an offset
			// (Finish warns).
			fs.Type = history.Info
			c.okWithoutOffset++
		}
		if err := c.inner.ObserveSend(fs); err != nil {
			return err
		}
	}
	if t.p0 == t.p1 {
		return nil
	}
	// The queue checker keeps nothing of Reads: one map and one slice per key serve every feed.
	if c.feedReads == nil {
		c.feedReads = map[string][]history.Read{}
	}
	reads := c.feedReads
	clear(reads)
	for _, p := range c.pollsOf(t) {
		for _, kr := range c.keysOf(&p) {
			for int(kr.key) >= len(c.feedSlices) {
				c.feedSlices = append(c.feedSlices, nil)
			}
			name := c.keyNames[kr.key]
			if _, ok := reads[name]; !ok {
				reads[name] = c.feedSlices[kr.key][:0]
			}
			for _, rd := range c.readsOf(&kr) {
				reads[name] = append(reads[name], history.Read{Offset: rd.offset, Value: c.values[rd.val]})
			}
			c.feedSlices[kr.key] = reads[name]
		}
	}
	return c.inner.ObservePoll(checker.Poll{Process: int(t.process), InvokeOp: t.invokeOp, CompleteOp: t.completeOp,
		InvokeTime: t.invokeTime, CompleteTime: t.completeTime, Reads: reads,
		MayRewind: t.typ == outFail})
}
