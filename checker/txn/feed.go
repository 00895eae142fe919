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
	for _, s := range t.sends {
		fs := checker.Send{Process: t.process, InvokeOp: t.invokeOp, CompleteOp: t.completeOp,
			InvokeTime: t.invokeTime, CompleteTime: t.completeTime,
			Key: c.keyNames[s.key], Value: c.values[s.val], Type: t.typ}
		switch {
		case t.typ == history.OK && s.offset >= 0:
			off := s.offset
			fs.Offset, fs.Follows = &off, sent[s.key]
			sent[s.key] = true
		case t.typ == history.OK:
			// Committed, but the client never learned where: nothing to hold it to at an offset
			// (Finish warns).
			fs.Type = history.Info
			c.okWithoutOffset++
		}
		if err := c.inner.ObserveSend(fs); err != nil {
			return err
		}
	}
	if len(t.polls) == 0 {
		return nil
	}
	reads := map[string][]history.Read{}
	for _, pi := range t.polls {
		for _, kr := range c.polls[pi].keys {
			name := c.keyNames[kr.key]
			if _, ok := reads[name]; !ok {
				reads[name] = []history.Read{}
			}
			for _, rd := range kr.reads {
				reads[name] = append(reads[name], history.Read{Offset: rd.offset, Value: c.values[rd.val]})
			}
		}
	}
	return c.inner.ObservePoll(checker.Poll{Process: t.process, InvokeOp: t.invokeOp, CompleteOp: t.completeOp,
		InvokeTime: t.invokeTime, CompleteTime: t.completeTime, Reads: reads,
		MayRewind: t.typ == history.Fail})
}
