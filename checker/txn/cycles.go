package txn

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/cycle"
)

// maxCycles bounds the cycles reported per anomaly name (one per strongly connected component).
const maxCycles = 16

// graph is the dependency graph of the committed transactions.
type graph struct {
	g      *cycle.Graph
	nodeOf []int32 // per transaction: its node, -1 if not in the graph
	txnOf  []int32 // per node: its transaction
}

// cycleResult is what the cycle search found.
type cycleResult struct {
	anomalies    []checker.Anomaly
	incomplete   []string
	nodes, edges int
	seconds      float64
}

// cycles builds the dependency graph of the committed transactions (ok ones, and indeterminate
// ones whose sends were read, as Jepsen does) and reports its cycles, each as an anomaly named
// by checker/cycle (G0, G1c and their -process and -realtime kinds) and explained edge by edge.
func cycles(ctx context.Context, a *analysis) cycleResult {
	start := time.Now()
	gr := a.buildGraph()
	res := cycleResult{nodes: gr.g.Len()}
	found, err := a.linkAndFind(ctx, gr)
	if err != nil {
		res.incomplete = append(res.incomplete, fmt.Sprintf("the dependency cycle search did not finish: %v", err))
	}
	for _, cy := range found {
		res.anomalies = append(res.anomalies, a.explainCycle(gr, cy))
	}
	res.edges = gr.g.Edges()
	res.seconds = time.Since(start).Seconds()
	return res
}

// buildGraph links ww edges (writer of each committed value -> writer of the next one in the
// key's version order) and wr edges (writer of each value read -> the reading transaction).
func (a *analysis) buildGraph() graph {
	gr := graph{nodeOf: make([]int32, len(a.txns))}
	for i := range a.txns {
		gr.nodeOf[i] = -1
		if a.committed[i] {
			gr.nodeOf[i] = int32(len(gr.txnOf))
			gr.txnOf = append(gr.txnOf, int32(i))
		}
	}
	gr.g = cycle.NewGraph(len(gr.txnOf))
	for _, vals := range a.order {
		prev := int32(-1)
		for _, v := range vals {
			n := gr.node(a.writer[v])
			if n < 0 {
				continue
			}
			if prev >= 0 {
				gr.g.Link(int(prev), int(n), cycle.WW)
			}
			prev = n
		}
	}
	for i := range a.polls {
		p := &a.polls[i]
		r := gr.node(p.reader)
		if r < 0 {
			continue
		}
		last := int32(-1)
		for _, kr := range a.keysOf(p) {
			for _, rd := range a.readsOf(&kr) {
				if w := gr.node(a.writer[rd.val]); w >= 0 && w != last && a.sentTo[rd.val] == kr.key {
					gr.g.Link(int(w), int(r), cycle.WR)
					last = w
				}
			}
		}
	}
	return gr
}

// node is transaction t's node, -1 if it has none (or t is -1).
func (gr graph) node(t int32) int32 {
	if t < 0 {
		return -1
	}
	return gr.nodeOf[t]
}

// linkAndFind adds the process and real-time edges and searches. A transaction whose outcome
// is unknown may take effect at any time after its invocation: nothing follows it in real time.
func (a *analysis) linkAndFind(ctx context.Context, gr graph) ([]cycle.Cycle, error) {
	intervals := make([]cycle.Interval, len(gr.txnOf))
	for n, ti := range gr.txnOf {
		t := &a.txns[ti]
		end := t.completeOp
		if t.typ != outOK {
			end = math.MaxInt64
		}
		intervals[n] = cycle.Interval{Node: n, Process: int(t.process), Invoke: t.invokeOp, Complete: end}
	}
	if err := cycle.LinkOrder(gr.g, intervals); err != nil {
		return nil, err
	}
	return cycle.Find(ctx, gr.g, maxCycles)
}
