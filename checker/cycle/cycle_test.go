package cycle

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// edge is a link for building test graphs.
type edge struct {
	from, to int
	rel      Rel
}

func graphOf(n int, edges ...edge) *Graph {
	g := NewGraph(n)
	for _, e := range edges {
		g.Link(e.from, e.to, e.rel)
	}
	return g
}

// classify names a cycle from its steps alone, independently of Find: "mixed" for WW with WR.
func classify(steps []Step) string {
	var has Rel
	for _, s := range steps {
		has |= s.Rel
	}
	var name string
	switch {
	case has&WW != 0 && has&WR != 0:
		return "mixed"
	case has&WW != 0:
		name = G0
	case has&WR != 0:
		name = G1c
	default:
		return "order-only"
	}
	switch {
	case has&Realtime != 0:
		return name + "-realtime"
	case has&Process != 0:
		return name + "-process"
	}
	return name
}

// findChecked runs Find and checks every cycle: its steps chain and close, each step's relation
// is a single relation set on that edge, and its steps' relations give its anomaly name.
func findChecked(t *testing.T, g *Graph, limit int) []Cycle {
	t.Helper()
	cycles, err := Find(context.Background(), g, limit)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	for _, c := range cycles {
		if len(c.Steps) < 2 {
			t.Fatalf("%s cycle with %d steps: %v", c.Anomaly, len(c.Steps), c.Steps)
		}
		for i, s := range c.Steps {
			next := c.Steps[(i+1)%len(c.Steps)]
			if s.To != next.From {
				t.Fatalf("%s cycle does not chain at step %d: %v", c.Anomaly, i, c.Steps)
			}
			if pick(s.Rel) != s.Rel || g.Rels(s.From, s.To)&s.Rel == 0 {
				t.Fatalf("%s cycle step %d->%d uses %s, edge has %s", c.Anomaly, s.From, s.To, s.Rel, g.Rels(s.From, s.To))
			}
		}
		if got := classify(c.Steps); got != c.Anomaly {
			t.Fatalf("cycle reported as %s but its steps make it %s: %v", c.Anomaly, got, c.Steps)
		}
	}
	return cycles
}

func wantCycles(t *testing.T, got []Cycle, want ...Cycle) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cycles:\n got %v\nwant %v", got, want)
	}
}

func TestG0TwoAndThreeNodes(t *testing.T) {
	g := graphOf(6,
		edge{0, 1, WW}, edge{1, 0, WW},
		edge{2, 3, WW}, edge{3, 4, WW}, edge{4, 2, WW},
		edge{4, 5, WW}, // leaves the cycle: not part of it
	)
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G0, []Step{{0, 1, WW}, {1, 0, WW}}},
		Cycle{G0, []Step{{2, 3, WW}, {3, 4, WW}, {4, 2, WW}}},
	)
}

func TestMixedWWWRNotReported(t *testing.T) {
	// T0 <ww T1 <wr T0: Kafka's normal interleaving, no anomaly.
	wantCycles(t, findChecked(t, graphOf(2, edge{0, 1, WW}, edge{1, 0, WR}), 10))
	// Near miss: when the back edge is also ww, the ww cycle alone is a G0.
	wantCycles(t, findChecked(t, graphOf(2, edge{0, 1, WW}, edge{1, 0, WR | WW}), 10),
		Cycle{G0, []Step{{0, 1, WW}, {1, 0, WW}}})
	// A three-node mix stays unreported, even with process order added.
	wantCycles(t, findChecked(t, graphOf(3, edge{0, 1, WW}, edge{1, 2, WR}, edge{2, 0, WR | Process}), 10))
}

func TestG1cWROnly(t *testing.T) {
	g := graphOf(3, edge{0, 1, WR}, edge{1, 2, WR | WW}, edge{2, 0, WR})
	// 1->2 also carries ww; the step is the read. No G0: 0->1 and 2->0 are not ww.
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G1c, []Step{{0, 1, WR}, {1, 2, WR}, {2, 0, WR}}})
}

func TestG1cRealtime(t *testing.T) {
	// T1 read T0's value, yet T1 completed before T0 was invoked.
	g := graphOf(2, edge{0, 1, WR}, edge{1, 0, Realtime})
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G1cRealtime, []Step{{1, 0, Realtime}, {0, 1, WR}}})
	// Near miss: the real-time edge in the read's direction makes no cycle.
	wantCycles(t, findChecked(t, graphOf(2, edge{0, 1, WR | Realtime}), 10))
}

func TestProcessVariants(t *testing.T) {
	g := graphOf(7,
		edge{0, 1, WW}, edge{1, 0, Process}, // G0-process
		edge{2, 3, WR}, edge{3, 2, Process}, // G1c-process
		// Process and realtime both set: the step is process order, so G0-process, not -realtime.
		edge{4, 5, WW}, edge{5, 4, Process | Realtime},
		// Realtime only, with a process step on the way: G0-realtime.
		edge{5, 6, WW}, edge{6, 4, Realtime},
	)
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G0Process, []Step{{1, 0, Process}, {0, 1, WW}}},
		Cycle{G0Process, []Step{{5, 4, Process}, {4, 5, WW}}},
		Cycle{G0Realtime, []Step{{6, 4, Realtime}, {4, 5, WW}, {5, 6, WW}}},
		Cycle{G1cProcess, []Step{{3, 2, Process}, {2, 3, WR}}},
	)
}

func TestShortestCycleThroughFirstEdge(t *testing.T) {
	// One component: 0->1->2->3->0 and 0->1->0. The cycle through 0->1 is the short one.
	g := graphOf(4, edge{0, 1, WW}, edge{1, 2, WW}, edge{2, 3, WW}, edge{3, 0, WW}, edge{1, 0, WW})
	wantCycles(t, findChecked(t, g, 10), Cycle{G0, []Step{{0, 1, WW}, {1, 0, WW}}})
	// Without 1->0 the only cycle is the long one.
	g = graphOf(4, edge{0, 1, WW}, edge{1, 2, WW}, edge{2, 3, WW}, edge{3, 0, WW})
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G0, []Step{{0, 1, WW}, {1, 2, WW}, {2, 3, WW}, {3, 0, WW}}})
}

func TestOneCyclePerComponentAndLimit(t *testing.T) {
	g := graphOf(6,
		edge{4, 5, WW}, edge{5, 4, WW}, // component with smallest node 4
		edge{0, 1, WW}, edge{1, 0, WW}, edge{1, 2, WW}, edge{2, 0, WW}, // one component, two cycles
	)
	wantCycles(t, findChecked(t, g, 10),
		Cycle{G0, []Step{{0, 1, WW}, {1, 0, WW}}},
		Cycle{G0, []Step{{4, 5, WW}, {5, 4, WW}}})
	wantCycles(t, findChecked(t, g, 1), Cycle{G0, []Step{{0, 1, WW}, {1, 0, WW}}})
	if _, err := Find(context.Background(), g, 0); err == nil {
		t.Fatal("Find with limit 0: no error")
	}
}

func TestAcyclicManyEdges(t *testing.T) {
	const n = 3000
	rels := []Rel{WW, WR, Process, Realtime, WW | WR, WR | Realtime}
	g := NewGraph(n)
	for i := range n {
		for d := 1; d <= 7; d++ {
			if i+d*d < n {
				g.Link(i, i+d*d, rels[(i+d)%len(rels)])
			}
		}
	}
	if g.Edges() < 6*n {
		t.Fatalf("only %d edges", g.Edges())
	}
	wantCycles(t, findChecked(t, g, 10))
	wantCycles(t, findChecked(t, NewGraph(0), 10))
	// Near miss: one ww edge back against the ww edge 5->6 makes a G0 cycle.
	g.Link(6, 5, WW)
	got := findChecked(t, g, 10)
	if len(got) == 0 || !reflect.DeepEqual(got[0], Cycle{G0, []Step{{5, 6, WW}, {6, 5, WW}}}) {
		t.Fatalf("after a back edge: %v, want the G0 cycle 5->6->5 first", got)
	}
	for _, c := range got {
		if strings.HasPrefix(c.Anomaly, G1c) {
			t.Fatalf("a ww back edge made a %s: %v", c.Anomaly, c.Steps)
		}
	}
}

func TestOrderCycleIsAnError(t *testing.T) {
	g := graphOf(3, edge{0, 1, Process}, edge{1, 2, Realtime}, edge{2, 0, Realtime}, edge{0, 2, WW}, edge{2, 0, WW})
	_, err := Find(context.Background(), g, 10)
	if err == nil || !strings.Contains(err.Error(), "process and realtime edges form a cycle (0 -process-> 1") {
		t.Fatalf("Find: %v, want the process/realtime cycle named", err)
	}
}

// countdownCtx reports cancellation after its Err has been asked a number of times.
type countdownCtx struct {
	context.Context
	left int
}

func (c *countdownCtx) Err() error {
	if c.left--; c.left < 0 {
		return context.Canceled
	}
	return nil
}

func TestFindHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := graphOf(2, edge{0, 1, WW}, edge{1, 0, WW})
	if _, err := Find(ctx, g, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Find with a cancelled context: %v", err)
	}
	// Cancelled during the search: a graph big enough for the periodic checks.
	const n = 4 * checkEvery
	g = NewGraph(n)
	for i := range n {
		g.Link(i, (i+1)%n, WW)
	}
	if _, err := Find(&countdownCtx{context.Background(), 1}, g, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Find cancelled mid-search: %v", err)
	}
	if got := findChecked(t, g, 10); len(got) != 1 || len(got[0].Steps) != n {
		t.Fatalf("uncancelled: %d cycles, want one of %d steps", len(got), n)
	}
}
