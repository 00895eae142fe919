package txn

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// infoAskedToCommit writes T by process p: its sends, ended info after asking to commit.
func infoAskedToCommit(b *builder, p int, sends ...history.Mop) int64 {
	b.invoke(p, sends...)
	at := b.now + 5
	b.tick()
	return b.Line(p, history.Info, history.FTxn, history.TxnValue{Mops: sends, CommitAt: &at})
}

// A committed send missing from the complete final log is a lost write even when its
// transaction ended info. T asked to commit and ended info; T2 read T's "a" at t-0 offset 0, so
// T committed (analyse counts it so, docs: "a transaction committed if it ended ok, or ended
// info having asked to commit and another's poll read one of its sends"). The complete final
// drain of t-0 then reads nothing in [0, 2): "a" vanished from the log. feed hands info sends to
// the queue checker as info, which holds only acknowledged sends to the final log: before, no
// lost-write was reported and the history was valid. Jepsen's lost-write counts observed writes.
func TestReadInfoSendLostFromFinalLog(t *testing.T) {
	b := newBuilder(t)
	w := infoAskedToCommit(b, 1, sendMop("t-0", "a", 0))
	r := b.txn(2, history.OK, pollMop("t-0", 0, "a"))
	b.tick()
	b.PollAt(8, "t-0", 0, 2, true) // the drain: nothing committed in [0, 2)
	d := b.PollAt(8, "t-0", 2, 2, true)
	res := b.check(checker.Options{})
	only(t, res, checker.LostWrite)
	a := first(t, res, checker.LostWrite)
	cites(t, a, w, r, d)
	mentions(t, a, "indeterminate transaction of ops 0-1", "asked to commit",
		"a poll of the committed transaction of ops 2-3", `read its "a", so it committed`,
		"the complete final drain read offsets 0 to 1")
}

// Where the final drain's read is what proves T committed, T's other send past the end of the
// final log is a lost write too (no drain poll covers it, so it is no torn-transaction).
func TestDrainReadInfoSendPastLogEndIsLost(t *testing.T) {
	b := newBuilder(t)
	infoAskedToCommit(b, 1, sendMop("t-0", "a", 0), sendMop("t-1", "b", 5))
	b.drain(9, "t-0", 1, 0, "a")
	b.drain(9, "t-1", 0)
	res := b.check(checker.Options{})
	only(t, res, checker.LostWrite)
	mentions(t, first(t, res, checker.LostWrite), `the final drain's poll (op 3) read its "a"`,
		"the final log ends below it: its high watermark is 0")
}

// Near misses: T's read send in the final log at its offset, T's send never read (it may have
// aborted: nothing says it committed), and an incomplete final drain (nothing proves it lost).
func TestReadInfoSendNotLost(t *testing.T) {
	t.Run("in the final log", func(t *testing.T) {
		b := newBuilder(t)
		infoAskedToCommit(b, 1, sendMop("t-0", "a", 0))
		b.txn(2, history.OK, pollMop("t-0", 0, "a"))
		b.drain(8, "t-0", 2, 0, "a")
		only(t, b.check(checker.Options{}))
	})
	t.Run("never read", func(t *testing.T) {
		b := newBuilder(t)
		infoAskedToCommit(b, 1, sendMop("t-0", "a", 0))
		b.drain(8, "t-0", 2)
		only(t, b.check(checker.Options{}))
	})
	t.Run("incomplete drain", func(t *testing.T) {
		b := newBuilder(t)
		infoAskedToCommit(b, 1, sendMop("t-0", "a", 0))
		b.txn(2, history.OK, pollMop("t-0", 0, "a"))
		b.tick()
		b.PollAt(8, "t-0", 1, 2, true) // asked past "a" and never saw the end
		res := b.check(checker.Options{})
		if n := len(res.Anomalies[checker.LostWrite]); n > 0 || res.Valid != checker.Unknown {
			t.Errorf("want no lost-write and an unknown verdict, got %s: %s", res.Valid, dump(res))
		}
		if !strings.Contains(strings.Join(res.Incomplete, "\n"), "1 sends of indeterminate transactions that polls show committed are neither confirmed") {
			t.Errorf("want the unjudged committed send said incomplete: %q", res.Incomplete)
		}
	})
}
