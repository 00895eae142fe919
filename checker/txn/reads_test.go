package txn

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// An aborted transaction's send read by another transaction is G1a, reported once, naming both.
func TestAbortedReadByTransaction(t *testing.T) {
	for _, writer := range []history.Type{history.Fail, history.OK} {
		t.Run(string(writer), func(t *testing.T) {
			b := newBuilder(t)
			w := b.txn(0, writer, sendMop("t-0", "a", 0))
			r := b.txn(1, history.OK, pollMop("t-0", 0, "a"))
			b.drain(9, "t-0", 1, 0, "a")
			res := b.check(checker.Options{})
			if writer == history.OK {
				only(t, res)
				return
			}
			// The drain read it too: one anomaly per value, with the first reader.
			only(t, res, checker.AbortedRead)
			a := first(t, res, checker.AbortedRead)
			cites(t, a, w, r)
			mentions(t, a, `"a"`, "aborted transaction of ops 0-1", "committed transaction of ops 2-3", "1 more")
			if n := len(res.Anomalies[checker.AbortedRead]); n != 1 {
				t.Errorf("%d aborted-read anomalies, want 1 (the queue checker's is replaced)", n)
			}
		})
	}
}

// The final drain reading what a transaction sent without ever asking to commit is an aborted
// read; a read of an indeterminate transaction that did ask to commit is not.
func TestAbortedReadNeverAskedToCommit(t *testing.T) {
	for _, asked := range []bool{false, true} {
		b := newBuilder(t)
		b.invoke(0, sendMop("t-0", "a", 0))
		b.tick()
		v := history.TxnValue{Mops: []history.Mop{sendMop("t-0", "a", 0)}}
		if asked {
			at := b.now - 2
			v.CommitAt = &at
		}
		b.Line(0, history.Info, history.FTxn, v)
		d := b.drain(9, "t-0", 1, 0, "a")
		res := b.check(checker.Options{})
		if asked {
			only(t, res)
			continue
		}
		only(t, res, checker.AbortedRead)
		a := first(t, res, checker.AbortedRead)
		cites(t, a, d)
		mentions(t, a, "without asking to commit", "final drain")
	}
}

// A transaction that reads its own send breaks read-committed (Jepsen's precommitted read);
// reading another's committed send does not.
func TestPrecommittedOwnRead(t *testing.T) {
	for _, own := range []bool{true, false} {
		b := newBuilder(t)
		b.txn(1, history.OK, sendMop("t-0", "a", 0))
		var op int64
		if own {
			op = b.txn(0, history.OK, sendMop("t-0", "b", 1), pollMop("t-0", 0, "a", 1, "b"))
		} else {
			op = b.txn(0, history.OK, sendMop("t-0", "b", 1), pollMop("t-0", 0, "a"))
		}
		b.drain(9, "t-0", 2, 0, "a", 1, "b")
		res := b.check(checker.Options{})
		if !own {
			only(t, res)
			continue
		}
		only(t, res, checker.PrecommittedRead)
		a := first(t, res, checker.PrecommittedRead)
		cites(t, a, op)
		mentions(t, a, "its own send", `"b"`)
	}
}

// A read that completed before the writer asked to commit is precommitted; one after is not.
func TestPrecommittedBeforeCommit(t *testing.T) {
	for _, early := range []bool{true, false} {
		b := newBuilder(t)
		b.invoke(0, sendMop("t-0", "a", 0))
		if !early {
			b.end(0, history.OK, sendMop("t-0", "a", 0))
		}
		r := b.txn(1, history.OK, pollMop("t-0", 0, "a"))
		if early {
			b.end(0, history.OK, sendMop("t-0", "a", 0))
		}
		b.drain(9, "t-0", 1, 0, "a")
		res := b.check(checker.Options{})
		if !early {
			only(t, res)
			continue
		}
		only(t, res, checker.PrecommittedRead)
		a := first(t, res, checker.PrecommittedRead)
		cites(t, a, r)
		mentions(t, a, "before", "asked to commit")
	}
}

// A reader that completes while a writer that never asks to commit still runs read a
// precommitted send.
func TestPrecommittedWhileWriterRuns(t *testing.T) {
	b := newBuilder(t)
	b.invoke(0, sendMop("t-0", "a", 0))
	b.txn(1, history.OK, pollMop("t-0", 0, "a"))
	b.end(0, history.Info, sendMop("t-0", "a", 0))
	b.drain(9, "t-0", 1)
	res := b.check(checker.Options{})
	only(t, res, checker.PrecommittedRead)
	mentions(t, first(t, res, checker.PrecommittedRead), "never asked to commit", "still ran")
}

// A reader that completes before the writer's EndTxn answer arrives (the commit became visible
// after commit_at, the reader read it, the writer's ack came later): legal at read-committed.
func TestReaderCompletesBeforeWriter(t *testing.T) {
	b := newBuilder(t)
	b.invoke(0, sendMop("t-0", "a", 0)) // T1 invoked
	b.invoke(1, pollMop("t-0", 0, "a")) // T2 invoked
	at := b.now + 5                     // T1 asks to commit
	b.tick()
	b.Line(1, history.OK, history.FTxn, history.TxnValue{Mops: []history.Mop{pollMop("t-0", 0, "a")}}) // T2 done
	b.tick()
	b.Line(0, history.OK, history.FTxn, history.TxnValue{Mops: []history.Mop{sendMop("t-0", "a", 0)}, CommitAt: &at})
	b.drain(9, "t-0", 2, 0, "a")
	only(t, b.check(checker.Options{}))
}
