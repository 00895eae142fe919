package txn

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/internal/histtest"
	"github.com/kafkaesque/kafkaesque/history"
)

// tornSetup commits T (a to t-0 at 0, b to t-1 at 1) between two other committed sends to t-1
// (c at 0, d at 2), and returns T's completion line.
func tornSetup(b *builder) int64 {
	b.txn(1, history.OK, sendMop("t-1", "c", 0))
	op := b.txn(0, history.OK, sendMop("t-0", "a", 0), sendMop("t-1", "b", 1))
	b.txn(1, history.OK, sendMop("t-1", "d", 2))
	return op
}

// One poll that shows T's send to t-0 and reads t-1 across T's send there without it sees T torn;
// one that shows T's send to t-1 too, or does not read past it, does not.
func TestTornByOnePoll(t *testing.T) {
	cases := map[string]struct {
		t1   []any
		torn bool
	}{
		"past it, without it": {[]any{0, "c", 2, "d"}, true},
		"with it":             {[]any{0, "c", 1, "b", 2, "d"}, false},
		"not past it":         {[]any{0, "c"}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBuilder(t)
			w := tornSetup(b)
			reads := pollMops(histtest.Reads("t-0", 0, "a"), histtest.Reads("t-1", tc.t1...))
			r := b.txn(2, history.OK, reads)
			b.drain(9, "t-0", 1, 0, "a")
			b.drain(9, "t-1", 3, 0, "c", 1, "b", 2, "d")
			res := b.check(checker.Options{})
			if !tc.torn {
				only(t, res)
				return
			}
			// Reading c and then d, the transaction also skipped b in t-1's version order.
			only(t, res, checker.TornTransaction, checker.IntPollSkip)
			a := first(t, res, checker.TornTransaction)
			cites(t, a, w, r)
			mentions(t, a, `"a" (t-0 offset 0)`, `but not "b" (t-1 offset 1)`, "committed transaction of ops 2-3")
		})
	}
}

// The final drain that shows one of T's sends and reads past another without it sees T torn
// (and the missing send is a lost write); a drain that shows both does not.
func TestTornByDrain(t *testing.T) {
	for _, torn := range []bool{true, false} {
		b := newBuilder(t)
		w := tornSetup(b)
		b.drain(9, "t-0", 1, 0, "a")
		var d int64
		if torn {
			d = b.drain(9, "t-1", 3, 0, "c", 2, "d")
		} else {
			d = b.drain(9, "t-1", 3, 0, "c", 1, "b", 2, "d")
		}
		res := b.check(checker.Options{})
		if !torn {
			only(t, res)
			continue
		}
		only(t, res, checker.TornTransaction, checker.LostWrite, checker.PollSkip)
		a := first(t, res, checker.TornTransaction)
		cites(t, a, w, d)
		mentions(t, a, "the final drain saw", `but not "b"`)
	}
}

// An indeterminate transaction partly in the final log is torn: it committed and lost a send,
// or it aborted and was read.
func TestTornIndeterminateInFinalLog(t *testing.T) {
	for _, torn := range []bool{true, false} {
		b := newBuilder(t)
		b.txn(1, history.OK, sendMop("t-1", "c", 0))
		mops := []history.Mop{sendMop("t-0", "a", 0), sendMop("t-1", "b", 1)}
		b.invoke(0, mops...)
		b.tick()
		at := b.now - 2
		b.Line(0, history.Info, history.FTxn, history.TxnValue{Mops: mops, CommitAt: &at})
		b.txn(2, history.OK, sendMop("t-1", "d", 2))
		b.drain(9, "t-0", 1, 0, "a")
		if torn {
			b.drain(9, "t-1", 3, 0, "c", 2, "d")
		} else {
			b.drain(9, "t-1", 3, 0, "c", 1, "b", 2, "d")
		}
		res := b.check(checker.Options{})
		if !torn {
			only(t, res)
			continue
		}
		only(t, res, checker.TornTransaction)
		mentions(t, first(t, res, checker.TornTransaction), "indeterminate transaction")
	}
}

// tornPastLastRecord: T ends info after asking to commit, sending "a" to t-0 at 0 and "b" to t-1
// at 1 (after another transaction's "y" at 0). The final drain reads "a", so T committed; its
// polls of t-1 are polls, from and what each read (offset, value pairs), each with hw 3.
func tornPastLastRecord(b *builder, polls ...[]any) *checker.Result {
	b.txn(0, history.OK, sendMop("t-1", "y", 0))
	b.invoke(1, sendMop("t-0", "a", 0), sendMop("t-1", "b", 1))
	at := b.now + 5
	b.tick()
	b.Line(1, history.Info, history.FTxn, history.TxnValue{Mops: []history.Mop{sendMop("t-0", "a", 0), sendMop("t-1", "b", 1)}, CommitAt: &at})
	b.drain(9, "t-0", 2, 0, "a")
	b.tick()
	for _, p := range polls {
		b.PollAt(p[0].(int), "t-1", int64(p[1].(int)), 3, true, p[2:]...)
	}
	return b.check(checker.Options{})
}

// A final-drain poll covers what the final log's completeness credits it with (checker/poll.go
// drainState.complete): up to where the same process's next drain poll of the partition asked,
// a read-committed drain moving past commit markers and aborted records. Here the drain of t-1
// reads only "y" at 0 and asks next at 3 = hw, passing T's "b" at offset 1: a committed
// transaction seen in part by the final drain. T's sends being info, no lost-write is reported
// for "b": the torn-transaction names it. Before, the span ended at the poll's last record.
func TestTornByDrainPastLastRecord(t *testing.T) {
	res := tornPastLastRecord(newBuilder(t), []any{8, 0, 0, "y"}, []any{8, 3})
	only(t, res, checker.TornTransaction)
	a := first(t, res, checker.TornTransaction)
	cites(t, a, 3, 9) // T's completion, the drain poll that read "y"
	mentions(t, a, `"a" (t-0 offset 0)`, `but not "b" (t-1 offset 1)`, "indeterminate transaction of ops 2-3")
}

// The same under a drain poll that read nothing: it asked at 1 and the next asked at 3.
func TestTornByDrainUnderEmptyPoll(t *testing.T) {
	res := tornPastLastRecord(newBuilder(t), []any{8, 0, 0, "y"}, []any{8, 1}, []any{8, 3})
	only(t, res, checker.TornTransaction)
	cites(t, first(t, res, checker.TornTransaction), 11) // the empty poll
}

// Near miss: another process's drain poll moves no position, so nothing covers offset 1: no
// torn-transaction (the drain of t-1 is incomplete instead).
func TestTornByDrainOtherProcessCoversNothing(t *testing.T) {
	res := tornPastLastRecord(newBuilder(t), []any{8, 0, 0, "y"}, []any{7, 3})
	if n := len(res.Anomalies[checker.TornTransaction]); n > 0 {
		t.Errorf("want no torn-transaction: %s", dump(res))
	}
	if res.Valid != checker.Unknown {
		t.Errorf("verdict %s, want unknown (an incomplete drain of t-1): %v", res.Valid, res.Incomplete)
	}
}

// Near miss: the same with T committed ok is at least a lost-write (the queue checker's rule).
func TestTornByDrainOkSendIsLost(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, history.OK, sendMop("t-1", "y", 0))
	b.txn(1, history.OK, sendMop("t-0", "a", 0), sendMop("t-1", "b", 1))
	b.drain(9, "t-0", 2, 0, "a")
	b.tick()
	b.PollAt(8, "t-1", 0, 3, true, 0, "y")
	b.PollAt(8, "t-1", 3, 3, true)
	res := b.check(checker.Options{})
	if len(res.Anomalies[checker.LostWrite]) == 0 {
		t.Errorf("want lost-write: %s", dump(res))
	}
}
