package checker

import (
	"fmt"
	"unsafe"

	"github.com/kafkaesque/kafkaesque/history"
)

// transactionalLinearizability is the warning of a history with fed (transactional) ops.
const transactionalLinearizability = "linearizability is not checked for a transactional history: Kafka acknowledges a commit once its coordinator has logged it and writes the commit markers to the partitions afterwards, so a read-committed poll that begins after the acknowledgement may rightly not show the transaction yet"

// Send is one send fed to the checker directly rather than as history lines (checker/txn feeds
// a transaction's sends when the transaction completes). It goes through the same checks as a
// send line: lost-write and the final log, duplicate, inconsistent-offsets, nonmonotonic-send,
// aborted-read, phantom-read and lag.
type Send struct {
	Process int
	// InvokeOp and CompleteOp are the history lines of the invocation and the completion (of the
	// transaction); CompleteOp is ignored when Type is Invoke.
	InvokeOp, CompleteOp     int64
	InvokeTime, CompleteTime int64
	Key, Value               string
	// Type is the outcome: OK (committed, with Offset), Fail (aborted: give no offset, an aborted
	// record's offset holds no committed record and must not count as one that exists), Info, or
	// Invoke for a send whose transaction never completed.
	Type   history.Type
	Offset *int64
	// Follows marks a later send to Key by the same transaction: its offset is not compared
	// with the earlier one's as nonmonotonic-send (the caller judges a transaction's own order).
	Follows bool
}

// Poll is one read fed to the checker directly: a transaction's polls, fed as one when the
// transaction completes. It goes through the same checks as an ok poll line without from or hw,
// except that the order of its reads within a key is the caller's to judge: only each key's
// first read is compared with the process's previous poll (nonmonotonic-poll, poll-skip).
type Poll struct {
	Process                  int
	InvokeOp, CompleteOp     int64
	InvokeTime, CompleteTime int64
	// Reads are the records read per key, in the order read. The checker keeps neither the map
	// nor its slices.
	Reads map[string][]history.Read
	// MayRewind says the process's consumer may go back after this poll (its transaction
	// aborted, and a consumer may seek back to its committed position): the process's next poll
	// of these keys is not compared with this one.
	MayRewind bool
}

// ObserveSend feeds a send. Values are unique across the history, sent or fed. A checker fed
// any send or poll skips the linearizability check (see transactionalLinearizability).
func (c *Checker) ObserveSend(s Send) error {
	c.clientInvokes++
	c.fed++
	r, k, err := c.startSend(s.Process, s.InvokeOp, s.InvokeTime, bytesOf(s.Key), bytesOf(s.Value))
	if err != nil {
		return err
	}
	r.fed = true
	switch s.Type {
	case history.Invoke:
		return nil // never completed: pending, as an invocation the history leaves open
	case history.Fail:
		if s.Offset != nil {
			return fmt.Errorf("fed send of %q: a failed send has no offset", s.Value)
		}
		r.aborted = true
	case history.OK, history.Info:
	default:
		return fmt.Errorf("fed send of %q: unknown outcome %q", s.Value, s.Type)
	}
	return c.endSend(r, k, s.Type, s.Process, s.CompleteOp, s.CompleteTime, s.Offset, !s.Follows)
}

// ObservePoll feeds an ok poll.
func (c *Checker) ObservePoll(p Poll) error {
	c.clientInvokes++
	c.fed++
	c.stats.PollsOK++
	ev := pollEvent{op: p.CompleteOp, invokeOp: p.InvokeOp, time: p.CompleteTime, invokeTime: p.InvokeTime,
		process: p.Process, fed: true, mayRewind: p.MayRewind}
	reads := c.fedReads[:0]
	views := c.fedViews[:0]
	for name, list := range p.Reads {
		first := len(views)
		for _, rd := range list {
			views = append(views, history.ReadView{Offset: rd.Offset, Value: bytesOf(rd.Value)})
		}
		reads = append(reads, history.KeyReads{Key: bytesOf(name), Reads: views[first:len(views):len(views)]})
	}
	// views may have moved as it grew: slice it again.
	n := 0
	for i := range reads {
		m := len(reads[i].Reads)
		reads[i].Reads = views[n : n+m : n+m]
		n += m
	}
	c.pollKeys(ev, nil, reads, nil)
	clear(reads)
	clear(views)
	c.fedReads, c.fedViews = reads[:0], views[:0]
	return nil
}

// EachAckedSend yields every send line acknowledged so far: its key and value (as its invocation
// named them), the op of its acknowledgement and its offset. Sends fed by ObserveSend are left
// out. The strings are valid as long as the Checker is.
func (c *Checker) EachAckedSend(yield func(key, value string, op, offset int64)) {
	for _, k := range c.keyList {
		for r := range k.records() {
			if r.status == sentOK && !r.fed {
				yield(k.name, c.str(r), r.completeOp, r.ack)
			}
		}
	}
}

// bytesOf is s's bytes, read-only: for the checker's byte-slice paths, which never write them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
