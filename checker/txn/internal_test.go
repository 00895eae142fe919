package txn

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// commitThree commits a, b and c to t-0 at offsets 0, 2 and 4 (commit markers between), each by
// its own transaction.
func commitThree(b *builder) {
	b.txn(1, history.OK, sendMop("t-0", "a", 0))
	b.txn(1, history.OK, sendMop("t-0", "b", 2))
	b.txn(1, history.OK, sendMop("t-0", "c", 4))
}

// A transaction's consecutive reads of a key, across its polls, must follow the version order:
// a to c skips b (int-poll-skip), b to a goes back (int-nonmonotonic-poll); the offset gaps of
// commit markers are no skip.
func TestIntPoll(t *testing.T) {
	cases := map[string]struct {
		mops []history.Mop
		want []checker.AnomalyType
	}{
		"in order across polls": {[]history.Mop{pollMop("t-0", 0, "a"), pollMop("t-0", 2, "b", 4, "c")}, nil},
		"skip across polls":     {[]history.Mop{pollMop("t-0", 0, "a"), pollMop("t-0", 4, "c")}, []checker.AnomalyType{checker.IntPollSkip}},
		"skip in one poll":      {[]history.Mop{pollMop("t-0", 0, "a", 4, "c")}, []checker.AnomalyType{checker.IntPollSkip}},
		"backwards":             {[]history.Mop{pollMop("t-0", 2, "b"), pollMop("t-0", 0, "a")}, []checker.AnomalyType{checker.IntNonmonotonicPoll}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBuilder(t)
			commitThree(b)
			op := b.txn(0, history.OK, tc.mops...)
			b.drain(9, "t-0", 5, 0, "a", 2, "b", 4, "c")
			res := b.check(checker.Options{})
			only(t, res, tc.want...)
			if len(tc.want) > 0 {
				a := first(t, res, tc.want[0])
				cites(t, a, op)
				if tc.want[0] == checker.IntPollSkip {
					mentions(t, a, `"a" (offset 0)`, `"c" (offset 4)`, `1 committed value(s) between them: "b" (offset 2)`)
				}
			}
		})
	}
}

// A committed transaction's consecutive sends to a key with another's committed send between
// them are int-send-skip (and the two transactions form a G0 cycle); sends at decreasing offsets
// are int-nonmonotonic-send (not nonmonotonic-send as well).
func TestIntSend(t *testing.T) {
	cases := map[string]struct {
		t0, t1 []history.Mop
		want   []checker.AnomalyType
	}{
		"adjacent": {[]history.Mop{sendMop("t-0", "a", 0), sendMop("t-0", "c", 1)}, []history.Mop{sendMop("t-0", "b", 2)}, nil},
		"interleaved": {[]history.Mop{sendMop("t-0", "a", 0), sendMop("t-0", "c", 2)}, []history.Mop{sendMop("t-0", "b", 1)},
			[]checker.AnomalyType{checker.IntSendSkip, checker.G0}},
		"backwards": {[]history.Mop{sendMop("t-0", "a", 1), sendMop("t-0", "c", 0)}, []history.Mop{sendMop("t-0", "b", 2)},
			[]checker.AnomalyType{checker.IntNonmonotonicSend}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBuilder(t)
			b.invoke(0, tc.t0...)
			b.invoke(1, tc.t1...)
			op := b.end(0, history.OK, tc.t0...)
			b.end(1, history.OK, tc.t1...)
			var pairs []any
			for off := int64(0); off < 3; off++ {
				for _, m := range append(tc.t0, tc.t1...) {
					if *m.Offset == off {
						pairs = append(pairs, int(off), m.Value)
					}
				}
			}
			b.drain(9, "t-0", 3, pairs...)
			res := b.check(checker.Options{})
			only(t, res, tc.want...)
			if len(tc.want) > 0 {
				cites(t, first(t, res, tc.want[0]), op)
			}
		})
	}
}
