package txn

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// Two concurrent committed transactions that each read what the other sent form a G1c cycle of
// wr edges, explained edge by edge.
func TestG1cCycleExplained(t *testing.T) {
	b := newBuilder(t)
	t1 := []history.Mop{sendMop("t-0", "x", 0), pollMop("t-1", 0, "y")}
	t2 := []history.Mop{sendMop("t-1", "y", 0), pollMop("t-0", 0, "x")}
	i1 := b.invoke(0, t1...)
	i2 := b.invoke(1, t2...)
	// Both asked to commit before either completed: neither read is precommitted.
	b.tick()
	at := b.now
	c1 := b.Line(0, history.OK, history.FTxn, history.TxnValue{Mops: t1, CommitAt: &at})
	b.tick()
	c2 := b.Line(1, history.OK, history.FTxn, history.TxnValue{Mops: t2, CommitAt: &at})
	b.drain(9, "t-0", 1, 0, "x")
	b.drain(9, "t-1", 1, 0, "y")
	res := b.check(checker.Options{})
	only(t, res, checker.G1c)
	a := first(t, res, checker.G1c)
	cites(t, a, i1, c1, i2, c2)
	mentions(t, a, `T1 (ops `, `T2 (ops `, `polled "x" from t-0, sent by`, `polled "y" from t-1, sent by`, "[wr]")
	if n := len(res.Anomalies[checker.G1c]); n != 1 {
		t.Errorf("%d G1c cycles, want 1", n)
	}
	if res.Txn == nil || res.Txn.GraphNodes != 2 || res.Txn.GraphEdges < 2 {
		t.Errorf("txn stats %+v, want 2 nodes and the 2 wr edges at least", res.Txn)
	}
}

// Kafka's normal interleaving: T1 sends to t-0, T2 sends to t-0 after it and to t-1, commits,
// and T1 reads T2's t-1 send. T1 <ww T2 <wr T1 mixes a write and a read dependency: neither G0
// nor G1c.
func TestWWAndWRInterleavingIsNoCycle(t *testing.T) {
	b := newBuilder(t)
	t1 := []history.Mop{sendMop("t-0", "a", 0), pollMop("t-1", 0, "y")}
	t2 := []history.Mop{sendMop("t-0", "b", 1), sendMop("t-1", "y", 0)}
	b.invoke(0, t1...)
	b.txn(1, history.OK, t2...)
	b.end(0, history.OK, t1...)
	b.drain(9, "t-0", 2, 0, "a", 1, "b")
	b.drain(9, "t-1", 1, 0, "y")
	res := b.check(checker.Options{})
	only(t, res)
	if res.Txn.GraphEdges == 0 {
		t.Error("no edges: the ww and wr edges were not built")
	}
}

// Two transactions that send to two keys in opposite orders form a G0 cycle, which Kafka's design
// allows (Allowed): the verdict stays valid, G0 is listed as allowed.
func TestG0AllowedByDesign(t *testing.T) {
	b := newBuilder(t)
	t1 := []history.Mop{sendMop("t-0", "a", 0), sendMop("t-1", "d", 1)}
	t2 := []history.Mop{sendMop("t-0", "b", 1), sendMop("t-1", "c", 0)}
	b.invoke(0, t1...)
	b.invoke(1, t2...)
	b.end(0, history.OK, t1...)
	b.end(1, history.OK, t2...)
	b.drain(9, "t-0", 2, 0, "a", 1, "b")
	b.drain(9, "t-1", 2, 0, "c", 1, "d")
	res := b.check(checker.Options{})
	only(t, res, checker.G0)
	mentions(t, first(t, res, checker.G0), `sent "a" to t-0 before`, `sent "c" to t-1 before`, "[ww]")

	allow := map[checker.AnomalyType]bool{}
	for ty := range Allowed(ReadCommitted) {
		allow[ty] = true
	}
	res = b.check(checker.Options{Allow: allow})
	if res.Valid != checker.Valid || len(res.Allowed) != 1 || res.Allowed[0] != checker.G0 {
		t.Errorf("with Allowed(read-committed): verdict %s, allowed %v; want valid with G0 allowed", res.Valid, res.Allowed)
	}
}

// T1 completes before T2 begins on the same process, yet T1 read what T2 sent: G1c-process
// (reported as well as the precommitted read it implies).
func TestG1cProcess(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, history.OK, pollMop("t-0", 0, "x"))
	b.txn(0, history.OK, sendMop("t-0", "x", 0))
	b.drain(9, "t-0", 1, 0, "x")
	res := b.check(checker.Options{})
	only(t, res, checker.G1cProcess, checker.PrecommittedRead)
	mentions(t, first(t, res, checker.G1cProcess), "[wr]", "[process]")
}

// An indeterminate transaction that asked to commit and whose send another read committed: it
// is a node of the graph, and a G1c through it is found. Without a read of its send (by another
// transaction or the drain) it is not a node.
func TestIndeterminateReadIsCommitted(t *testing.T) {
	for _, read := range []bool{true, false} {
		b := newBuilder(t)
		t1 := []history.Mop{sendMop("t-0", "x", 0), pollMop("t-1", 0, "y")}
		t2 := []history.Mop{sendMop("t-1", "y", 0), pollMop("t-0")}
		if read {
			t2[1] = pollMop("t-0", 0, "x")
		}
		b.invoke(0, t1...)
		b.invoke(1, t2...)
		b.tick()
		at := b.now
		b.Line(0, history.Info, history.FTxn, history.TxnValue{Mops: t1, CommitAt: &at})
		b.tick()
		b.Line(1, history.OK, history.FTxn, history.TxnValue{Mops: t2, CommitAt: &at})
		if read {
			b.drain(9, "t-0", 1, 0, "x")
		} else {
			b.drain(9, "t-0", 0) // the drain's read would prove the commit too
		}
		b.drain(9, "t-1", 1, 0, "y")
		res := b.check(checker.Options{})
		if !read {
			only(t, res)
			if res.Txn.GraphNodes != 1 {
				t.Errorf("%d graph nodes, want 1: the indeterminate transaction nobody read is not known to have committed", res.Txn.GraphNodes)
			}
			continue
		}
		only(t, res, checker.G1c)
		mentions(t, first(t, res, checker.G1c), "(ops 0-2)", "(ops 1-3)")
	}
}
