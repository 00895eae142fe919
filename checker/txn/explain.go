package txn

import (
	"fmt"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/cycle"
)

// explainCycle says, edge by edge, why each transaction of a cycle precedes the next, as Elle
// does: "T1 (ops 3-12) sent "v3" to t-0 before T2 (ops 8-40) sent "v5" [ww]; T2 polled "v9"
// from t-1, sent by T1 [wr]" (a transaction is named with its lines when first mentioned).
// Only the edges of reported cycles are explained, so the per-edge data (the key and values) is
// looked up here rather than kept for every edge.
func (a *analysis) explainCycle(gr graph, cy cycle.Cycle) checker.Anomaly {
	an := checker.Anomaly{Type: checker.AnomalyType(cy.Anomaly)}
	names := map[int32]string{}
	mention := func(t int32) string {
		if name, ok := names[t]; ok {
			return name
		}
		name := fmt.Sprintf("T%d", len(names)+1)
		names[t] = name
		ops := a.ops(t)
		an.Ops = append(an.Ops, ops...)
		if len(ops) == 1 {
			return fmt.Sprintf("%s (op %d)", name, ops[0])
		}
		return fmt.Sprintf("%s (ops %d-%d)", name, ops[0], ops[1])
	}
	parts := make([]string, len(cy.Steps))
	for i, st := range cy.Steps {
		from, to := gr.txnOf[st.From], gr.txnOf[st.To]
		parts[i] = a.explainStep(gr, st.Rel, from, to, mention, &an)
	}
	an.Explanation = strings.Join(parts, "; ")
	return an
}

// explainStep says why transaction from precedes to by relation rel.
func (a *analysis) explainStep(gr graph, rel cycle.Rel, from, to int32, mention func(int32) string, an *checker.Anomaly) string {
	switch rel {
	case cycle.WW:
		if v1, v2, ok := a.wwPair(gr, from, to); ok {
			an.Values = append(an.Values, a.values[v1], a.values[v2])
			return fmt.Sprintf("%s sent %q to %s before %s sent %q [ww]", mention(from), a.values[v1],
				a.keyNames[a.sentTo[v2]], mention(to), a.values[v2])
		}
	case cycle.WR:
		if v, ok := a.wrValue(from, to); ok {
			an.Values = append(an.Values, a.values[v])
			reader := mention(to)
			return fmt.Sprintf("%s polled %q from %s, sent by %s [wr]", reader, a.values[v], a.keyNames[a.sentTo[v]], mention(from))
		}
	case cycle.Process:
		return fmt.Sprintf("%s ran before %s on process %d [process]", mention(from), mention(to), a.txns[from].process)
	case cycle.Realtime:
		return fmt.Sprintf("%s completed before %s was invoked [realtime]", mention(from), mention(to))
	}
	return fmt.Sprintf("%s precedes %s [%s]", mention(from), mention(to), rel)
}

// wwPair finds a value from sent that directly precedes (among the graph's writers) a value to
// sent, in some key's version order: the pair behind a ww edge.
func (a *analysis) wwPair(gr graph, from, to int32) (vid, vid, bool) {
	for _, s := range a.sendsOf(&a.txns[to]) {
		i := a.index(s.key, s.val)
		for j := i - 1; i >= 0 && j >= 0; j-- {
			v := a.order[s.key][j]
			if w := a.writer[v]; gr.node(w) >= 0 {
				if w == from {
					return v, s.val, true
				}
				break
			}
		}
	}
	return 0, 0, false
}

// wrValue finds a value from sent that to read.
func (a *analysis) wrValue(from, to int32) (vid, bool) {
	for _, p := range a.pollsOf(&a.txns[to]) {
		for _, kr := range a.keysOf(&p) {
			for _, rd := range a.readsOf(&kr) {
				if a.writer[rd.val] == from && a.sentTo[rd.val] == kr.key {
					return rd.val, true
				}
			}
		}
	}
	return 0, false
}
