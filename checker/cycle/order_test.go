package cycle

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// allEdges lists a small graph's edges by looking every pair up.
func allEdges(g *Graph) map[[2]int]Rel {
	m := map[[2]int]Rel{}
	for a := range g.Len() {
		for b := range g.Len() {
			if r := g.Rels(a, b); r != 0 {
				m[[2]int{a, b}] = r
			}
		}
	}
	return m
}

func TestLinkOrderSmall(t *testing.T) {
	g := NewGraph(7)
	err := LinkOrder(g, []Interval{
		{Node: 3, Process: 0, Invoke: 6, Complete: 9},
		{Node: 0, Process: 0, Invoke: 0, Complete: 1},
		{Node: 1, Process: 1, Invoke: 2, Complete: 5},
		{Node: 2, Process: 2, Invoke: 3, Complete: 4},
		{Node: 4, Process: 2, Invoke: 7, Complete: 8},
		// Invoked at the position node 3 completes: not after it.
		{Node: 5, Process: 3, Invoke: 9, Complete: 12},
		// Never completed: nothing follows it in real time.
		{Node: 6, Process: 4, Invoke: 10, Complete: math.MaxInt64},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]int]Rel{
		{0, 1}: Realtime, {0, 2}: Realtime, {0, 3}: Process, // 0 -> 3 in real time goes via 1 or 2
		{1, 3}: Realtime, {1, 4}: Realtime, {2, 3}: Realtime, {2, 4}: Realtime | Process,
		{4, 5}: Realtime, {4, 6}: Realtime, {3, 6}: Realtime,
	}
	if got := allEdges(g); !reflect.DeepEqual(got, want) {
		t.Fatalf("edges:\n got %v\nwant %v", got, want)
	}
}

// TestLinkOrderIsTransitiveReduction compares random histories with the brute-force
// reduction of "completed before invoked" and with consecutive process order.
func TestLinkOrderIsTransitiveReduction(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := range 30 {
		procs, n := 1+rng.Intn(5), 5+rng.Intn(40)
		ivs := randomIntervals(rng, procs, n)
		g := NewGraph(n)
		if err := LinkOrder(g, ivs); err != nil {
			t.Fatal(err)
		}
		byNode := make([]Interval, n)
		for _, iv := range ivs {
			byNode[iv.Node] = iv
		}
		before := func(a, b int) bool { return byNode[a].Complete < byNode[b].Invoke }
		want := map[[2]int]Rel{}
		for a := range n {
			for b := range n {
				reduced := before(a, b)
				for c := 0; c < n && reduced; c++ {
					reduced = !(before(a, c) && before(c, b))
				}
				if reduced {
					want[[2]int{a, b}] |= Realtime
				}
				// Process order: same process, a before b, nothing of that process between.
				if a == b || byNode[a].Process != byNode[b].Process || !before(a, b) {
					continue
				}
				next := true
				for c := 0; c < n && next; c++ {
					next = byNode[c].Process != byNode[a].Process || !(before(a, c) && before(c, b))
				}
				if next {
					want[[2]int{a, b}] |= Process
				}
			}
		}
		if got := allEdges(g); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: edges:\n got %v\nwant %v\nintervals %v", round, got, want, ivs)
		}
	}
}

// randomIntervals simulates procs processes running n transactions (see simulate) and
// shuffles the node numbers.
func randomIntervals(rng *rand.Rand, procs, n int) []Interval {
	ivs := simulate(rng, procs, n)
	perm := rng.Perm(n)
	for i := range ivs {
		ivs[i].Node = perm[ivs[i].Node]
	}
	return ivs
}

// simulate runs n transactions on procs processes, one at a time each: at each position a
// random process invokes its next transaction or completes its current one. Nodes are numbered
// in invocation order.
func simulate(rng *rand.Rand, procs, n int) []Interval {
	running := make([]int, procs) // index into ivs + 1, 0 when idle
	var ivs []Interval
	busy := 0
	for pos := int64(0); len(ivs) < n || busy > 0; pos++ {
		p := rng.Intn(procs)
		switch {
		case running[p] != 0:
			ivs[running[p]-1].Complete = pos
			running[p] = 0
			busy--
		case len(ivs) < n:
			ivs = append(ivs, Interval{Node: len(ivs), Process: p, Invoke: pos})
			running[p] = len(ivs)
			busy++
		}
	}
	return ivs
}

func TestLinkOrderRefusesBadIntervals(t *testing.T) {
	for _, tc := range []struct {
		name string
		ivs  []Interval
		want string
	}{
		{"overlap", []Interval{{0, 1, 0, 5}, {1, 1, 3, 8}}, "process 1 runs nodes 0 and 1 at once"},
		{"twice", []Interval{{0, 1, 0, 5}, {0, 2, 6, 8}}, "node 0 has two intervals"},
		{"backwards", []Interval{{0, 1, 0, 5}, {1, 2, 6, 6}}, "node 1 completes at 6, not after its invocation at 6"},
		{"range", []Interval{{0, 1, 0, 5}, {2, 2, 6, 8}}, "node 2: node out of range [0, 2)"},
	} {
		g := NewGraph(2)
		err := LinkOrder(g, tc.ivs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
		if g.Edges() != 0 {
			t.Errorf("%s: %d edges linked despite the error", tc.name, g.Edges())
		}
	}
}

func TestGraphLinkMerges(t *testing.T) {
	g := NewGraph(3)
	g.Link(0, 1, WW)
	g.Link(1, 1, WW) // self edge: ignored
	g.Link(0, 1, Realtime)
	g.Link(2, 0, WR)
	if g.Edges() != 2 || g.Rels(0, 1) != WW|Realtime || g.Rels(2, 0) != WR || g.Rels(1, 1) != 0 || g.Rels(1, 0) != 0 {
		t.Fatalf("after merge: %v", allEdges(g))
	}
	// Links after a merge join the merged edges.
	g.Link(0, 1, WR)
	g.Link(0, 2, Process)
	want := map[[2]int]Rel{{0, 1}: WW | WR | Realtime, {0, 2}: Process, {2, 0}: WR}
	if got := allEdges(g); !reflect.DeepEqual(got, want) || g.Edges() != 3 {
		t.Fatalf("after more links: %v, want %v", got, want)
	}
	for _, bad := range []func(){
		func() { g.Link(0, 3, WW) },
		func() { g.Link(-1, 0, WW) },
		func() { g.Link(0, 1, 0) },
		func() { g.Link(0, 1, Realtime<<1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("bad Link did not panic")
				}
			}()
			bad()
		}()
	}
}
