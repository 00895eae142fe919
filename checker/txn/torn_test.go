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
