package cycle

import (
	"context"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// randomGraph links ww and wr edges in any direction and process and realtime edges only
// forward (as a real history's order is), shuffled, some twice.
func randomGraph(rng *rand.Rand, n, m int) []edge {
	var edges []edge
	for range m {
		a, b := rng.Intn(n), rng.Intn(n)
		r := Rel(1) << rng.Intn(4)
		if rng.Intn(4) == 0 {
			r |= Rel(1) << rng.Intn(4)
		}
		if r&(Process|Realtime) != 0 && a > b {
			a, b = b, a
		}
		edges = append(edges, edge{a, b, r})
		if rng.Intn(8) == 0 {
			edges = append(edges, edge{a, b, Rel(1) << rng.Intn(4)})
		}
	}
	for i := range edges {
		if e := edges[i]; e.rel&(Process|Realtime) != 0 && e.from > e.to {
			edges[i].rel &^= Process | Realtime
			if edges[i].rel == 0 {
				edges[i].rel = WW
			}
		}
	}
	return edges
}

// oracleNames enumerates every simple cycle of a small graph and returns the anomalies that
// have one: all its edges carry an allowed relation and one step (the preferred allowed
// relation of its edge) is the anomaly's key relation.
func oracleNames(g *Graph) []string {
	n := g.Len()
	found := map[string]bool{}
	var path []int
	onPath := make([]bool, n)
	var walk func(start, v int)
	walk = func(start, v int) {
		for w := start; w < n; w++ {
			if g.Rels(v, w) == 0 {
				continue
			}
			if w == start {
				closed := append(slices.Clone(path), start)
				for _, a := range anomalies {
					ok, key := true, false
					for i := 0; i+1 < len(closed); i++ {
						r := g.Rels(closed[i], closed[i+1]) & a.allowed
						ok = ok && r != 0
						key = key || pick(r) == a.key
					}
					if ok && key {
						found[a.name] = true
					}
				}
				continue
			}
			if !onPath[w] {
				onPath[w] = true
				path = append(path, w)
				walk(start, w)
				path = path[:len(path)-1]
				onPath[w] = false
			}
		}
	}
	for s := range n {
		path, onPath[s] = []int{s}, true
		walk(s, s)
		onPath[s] = false
	}
	var names []string
	for _, a := range anomalies {
		if found[a.name] {
			names = append(names, a.name)
		}
	}
	return names
}

func TestFindAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	seen := map[string]int{}
	for round := range 400 {
		n := 3 + rng.Intn(5)
		g := graphOf(n, randomGraph(rng, n, rng.Intn(3*n))...)
		var names []string
		for _, c := range findChecked(t, g, 100) {
			if !slices.Contains(names, c.Anomaly) {
				names = append(names, c.Anomaly)
			}
			seen[c.Anomaly]++
		}
		if want := oracleNames(g); !reflect.DeepEqual(names, want) {
			t.Fatalf("round %d: Find found %v, brute force %v in %v", round, names, want, allEdges(g))
		}
	}
	// The rounds must exercise every anomaly, or the agreement says little.
	for _, a := range anomalies {
		if seen[a.name] == 0 {
			t.Errorf("no round produced a %s", a.name)
		}
	}
}

func TestFindIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	edges := randomGraph(rng, 400, 1500)
	first := findChecked(t, graphOf(400, edges...), 1000)
	if len(first) < 10 {
		t.Fatalf("only %d cycles: too few to compare", len(first))
	}
	for range 3 {
		rng.Shuffle(len(edges), func(i, j int) { edges[i], edges[j] = edges[j], edges[i] })
		g := graphOf(400, edges...)
		if again := findChecked(t, g, 1000); !reflect.DeepEqual(again, first) {
			t.Fatalf("links in another order gave other cycles:\n%v\n%v", again, first)
		}
		if again, _ := Find(context.Background(), g, 1000); !reflect.DeepEqual(again, first) {
			t.Fatal("a second Find on the same graph gave other cycles")
		}
	}
}
