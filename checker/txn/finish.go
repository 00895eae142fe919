package txn

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
)

// Finish runs the queue checker's end-of-history checks and the transactional ones, and returns
// the verdict. For a history without transactions it is the queue checker's result, unchanged.
func (c *Checker) Finish(ctx context.Context) *checker.Result {
	if !c.sawTxn {
		return c.inner.Finish(ctx)
	}
	var problems []string
	pending := int64(len(c.open))
	for _, p := range sortedProcesses(c.open) {
		inv := c.open[p]
		t := txn{process: int32(p), invokeOp: inv.op, completeOp: -1, invokeTime: inv.time, completeTime: math.MaxInt64,
			commitAt: -1, typ: outNever, abort: inv.value.Abort, mops: int32(len(inv.value.Mops))}
		err := c.record(&t, inv.value.Mops)
		if err == nil {
			err = c.feed(&c.txns[len(c.txns)-1])
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("the transaction of op %d, never completed, could not be judged: %v", inv.op, err))
		}
	}
	c.open = map[int]openTxn{}
	res := c.inner.Finish(ctx)
	res.Stats.Incomplete += pending
	a := c.analyse()
	found := abortedReads(a)
	found = append(found, precommittedReads(a)...)
	torn, drainTorn := tornTransactions(a)
	found = append(found, torn...)
	lost, unjudged := unackedLostWrites(a, drainTorn)
	found = append(found, lost...)
	found = append(found, intPolls(a)...)
	found = append(found, intSends(a)...)
	cyc := cycles(ctx, a)
	found = append(found, cyc.anomalies...)
	// The queue checker's aborted reads of transactions' sends are reported by abortedReads,
	// which names the transaction.
	res.Anomalies[checker.AbortedRead] = slices.DeleteFunc(res.Anomalies[checker.AbortedRead], func(an checker.Anomaly) bool {
		v, ok := c.valueID[an.Values[0]]
		return ok && c.writer[v] >= 0
	})
	stats := c.stats()
	stats.GraphNodes, stats.GraphEdges, stats.CycleSeconds = cyc.nodes, cyc.edges, cyc.seconds
	res.Txn = &stats
	if c.okWithoutOffset > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d sends of committed transactions carry no offset: they are judged as indeterminate sends (not held to an offset in the final log)", c.okWithoutOffset))
	}
	res.Incomplete = append(res.Incomplete, problems...)
	res.Incomplete = append(res.Incomplete, unjudged...)
	res.Incomplete = append(res.Incomplete, cyc.incomplete...)
	res.AddAnomalies(found, c.opts.Allow)
	res.Stats.DurationSeconds = time.Since(c.start).Seconds()
	return res
}

func (c *Checker) stats() checker.TxnStats {
	var s checker.TxnStats
	for i := range c.txns {
		t := &c.txns[i]
		switch t.typ {
		case outOK:
			s.Committed++
		case outFail:
			s.Aborted++
			if t.abort {
				s.AbortedOnPurpose++
			}
		case outInfo:
			s.Indeterminate++
		default:
			s.Incomplete++
			continue // its mops never ran, as far as the history says
		}
		s.Mops += int64(t.mops)
		s.Sends += int64(t.s1 - t.s0)
		s.Polls += int64(t.p1 - t.p0)
	}
	return s
}

func sortedProcesses(m map[int]openTxn) []int {
	out := make([]int, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
