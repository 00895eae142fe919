package cycle

import (
	"cmp"
	"context"
	"math/rand"
	"slices"
	"testing"
)

// workload is a synthetic run shaped like the txn workload's: procs processes run one
// transaction at a time; each sends one to four times to random keys at moments inside its
// interval (the offset order is the send order) and most poll, reading the last value of one
// to all keys from transactions invoked a little earlier. A few anomalies are planted on top.
type workload struct {
	n         int
	intervals []Interval
	ww, wr    [][2]int32
	planted   []edge
}

func newWorkload(seed int64, n, procs, keys int) *workload {
	rng := rand.New(rand.NewSource(seed))
	w := &workload{n: n, intervals: simulate(rng, procs, n)}
	type send struct {
		at   float64
		node int32
	}
	sends := make([][]send, keys)
	for _, iv := range w.intervals {
		span := float64(iv.Complete - iv.Invoke)
		for range 1 + rng.Intn(4) {
			k := rng.Intn(keys)
			sends[k] = append(sends[k], send{float64(iv.Invoke) + rng.Float64()*span, int32(iv.Node)})
		}
		if iv.Node > 80 && rng.Intn(10) < 9 {
			for range 1 + rng.Intn(keys) {
				w.wr = append(w.wr, [2]int32{int32(iv.Node - 8 - rng.Intn(64)), int32(iv.Node)})
			}
		}
	}
	for _, ks := range sends {
		slices.SortFunc(ks, func(a, b send) int { return cmp.Compare(a.at, b.at) })
		for i := 1; i < len(ks); i++ {
			w.ww = append(w.ww, [2]int32{ks[i-1].node, ks[i].node})
		}
	}
	// Planted: reads going back (G1c), a read of a transaction that came later in real time
	// (G1c-realtime), and one of the same process's next transaction (G1c-process).
	for i := 1; i <= 3; i++ {
		a := i * n / 4
		w.planted = append(w.planted, edge{a, a + 1, WR}, edge{a + 1, a, WR})
	}
	w.planted = append(w.planted, edge{n/2 + 5000, n/2 + 10, WR})
	for _, iv := range w.intervals[n/3:] {
		if iv.Process == w.intervals[n/3-1].Process {
			w.planted = append(w.planted, edge{iv.Node, n/3 - 1, WR})
			break
		}
	}
	return w
}

func (w *workload) graph(b *testing.B) *Graph {
	g := NewGraph(w.n)
	for _, e := range w.ww {
		g.Link(int(e[0]), int(e[1]), WW)
	}
	for _, e := range w.wr {
		g.Link(int(e[0]), int(e[1]), WR)
	}
	for _, e := range w.planted {
		g.Link(e.from, e.to, e.rel)
	}
	if err := LinkOrder(g, w.intervals); err != nil {
		b.Fatal(err)
	}
	g.Edges() // merge
	return g
}

const benchNodes = 1_000_000

func BenchmarkBuild(b *testing.B) {
	w := newWorkload(1, benchNodes, 8, 6)
	b.ReportAllocs()
	b.ResetTimer()
	var g *Graph
	for range b.N {
		g = w.graph(b)
	}
	b.ReportMetric(float64(g.Edges()), "edges")
}

func BenchmarkFind(b *testing.B) {
	w := newWorkload(1, benchNodes, 8, 6)
	g := w.graph(b)
	b.ReportAllocs()
	b.ResetTimer()
	var cycles []Cycle
	for range b.N {
		var err error
		if cycles, err = Find(context.Background(), g, 100); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	count := map[string]int{}
	for _, c := range cycles {
		count[c.Anomaly]++
	}
	if count[G1c] < 3 || count[G1cRealtime] == 0 || count[G1cProcess] == 0 {
		b.Fatalf("planted anomalies not all found: %v", count)
	}
	b.ReportMetric(float64(g.Edges()), "edges")
	b.ReportMetric(float64(4*len(g.off)+4*len(g.to)+len(g.rel)), "graph-bytes")
	for _, a := range anomalies {
		b.ReportMetric(float64(count[a.name]), a.name)
	}
}
