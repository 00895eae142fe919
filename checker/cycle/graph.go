package cycle

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Rel is a kind of dependency edge between two transactions (nodes 0..n-1, the caller's
// indexes). An edge carries one or more Rel bits.
type Rel uint8

const (
	// WW is write-write: a's send to a key precedes b's send to it in the log (offset order).
	WW Rel = 1 << iota
	// WR is write-read: b read a value a sent.
	WR
	// Process is process order: a and b ran on the same process, a first.
	Process
	// Realtime is real-time order: a completed before b was invoked.
	Realtime

	allRels = WW | WR | Process | Realtime
)

// relNames follows the preference order of a step's relation.
var relNames = []struct {
	rel  Rel
	name string
}{{WR, "wr"}, {WW, "ww"}, {Process, "process"}, {Realtime, "realtime"}}

// String names the set bits, e.g. "ww" or "wr+ww".
func (r Rel) String() string {
	var names []string
	for _, rn := range relNames {
		if r&rn.rel != 0 {
			names = append(names, rn.name)
		}
	}
	if rest := r &^ allRels; rest != 0 || len(names) == 0 {
		names = append(names, fmt.Sprintf("Rel(%#x)", uint8(rest)))
	}
	return strings.Join(names, "+")
}

// pick returns the one relation a step stands for: the first of WR, WW, Process, Realtime set
// in r (0 if none).
func pick(r Rel) Rel {
	for _, rn := range relNames {
		if r&rn.rel != 0 {
			return rn.rel
		}
	}
	return 0
}

// Graph is a directed graph of transactions with Rel-labelled edges. Links accumulate in a
// pending list and are merged, when needed, into a compressed adjacency (per node, successors
// ascending with their merged Rel bits): about 5 bytes an edge once merged, 9 while pending.
// A Graph is not safe for concurrent use: reading it (Find, Rels, Edges) merges pending links.
type Graph struct {
	n int
	// Merged edges: the successors of v are to[off[v]:off[v+1]], ascending, with rel alongside.
	off []int32
	to  []int32
	rel []Rel
	// Links not merged yet: from<<32 | to, and their relations.
	pend    []uint64
	pendRel []Rel
}

// NewGraph returns an empty graph of n nodes, 0..n-1.
func NewGraph(n int) *Graph {
	if n < 0 || n >= math.MaxInt32 {
		panic(fmt.Sprintf("cycle: NewGraph(%d): node count out of range", n))
	}
	return &Graph{n: n, off: make([]int32, n+1)}
}

// Len is the number of nodes.
func (g *Graph) Len() int { return g.n }

// Link adds an edge from -> to carrying rel. A self edge is ignored (a transaction does not
// depend on itself); linking an existing edge again adds rel's bits to it. A node out of range
// or a rel that is empty or has unknown bits is a programming error and panics.
func (g *Graph) Link(from, to int, rel Rel) {
	if from < 0 || from >= g.n || to < 0 || to >= g.n {
		panic(fmt.Sprintf("cycle: Link(%d, %d): node out of range [0, %d)", from, to, g.n))
	}
	if rel == 0 || rel&^allRels != 0 {
		panic(fmt.Sprintf("cycle: Link(%d, %d): invalid relation %s", from, to, rel))
	}
	if from == to {
		return
	}
	if len(g.pend)+len(g.to) >= math.MaxInt32-1 {
		panic("cycle: Link: more than 2^31 edges")
	}
	g.pend = append(g.pend, uint64(from)<<32|uint64(to))
	g.pendRel = append(g.pendRel, rel)
	// Merge from time to time so that repeated links do not pile up.
	if len(g.pend) >= 1<<20 && len(g.pend) >= len(g.to) {
		g.merge()
	}
}

// Edges is the number of distinct edges.
func (g *Graph) Edges() int {
	g.merge()
	return len(g.to)
}

// Rels returns the relations on the edge from -> to, 0 if there is none.
func (g *Graph) Rels(from, to int) Rel {
	if from < 0 || from >= g.n || to < 0 || to >= g.n {
		return 0
	}
	g.merge()
	return g.rels(int32(from), int32(to))
}

// rels looks an edge up in the merged adjacency.
func (g *Graph) rels(from, to int32) Rel {
	succ := g.to[g.off[from]:g.off[from+1]]
	if i, ok := slices.BinarySearch(succ, to); ok {
		return g.rel[int(g.off[from])+i]
	}
	return 0
}

// merge folds the pending links into the adjacency: a counting sort by source, then each
// node's successors sorted and equal ones merged.
func (g *Graph) merge() {
	if len(g.pend) == 0 {
		return
	}
	n := g.n
	start := make([]int32, n+1)
	for v := range n {
		start[v+1] = g.off[v+1] - g.off[v]
	}
	for _, e := range g.pend {
		start[int(e>>32)+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	// keys hold to<<8 | rel, so sorting a node's keys orders its successors.
	keys := make([]uint64, start[n])
	next := slices.Clone(start[:n])
	for v := range n {
		for i := g.off[v]; i < g.off[v+1]; i++ {
			keys[next[v]] = uint64(g.to[i])<<8 | uint64(g.rel[i])
			next[v]++
		}
	}
	for i, e := range g.pend {
		v := e >> 32
		keys[next[v]] = (e&math.MaxUint32)<<8 | uint64(g.pendRel[i])
		next[v]++
	}
	g.pend, g.pendRel, g.to, g.rel, next = nil, nil, nil, nil, nil

	// Sort and merge each node's run in place; off gets the merged bounds.
	off := make([]int32, n+1)
	w := 0
	for v := range n {
		run := keys[start[v]:start[v+1]]
		slices.Sort(run)
		for i, k := range run {
			if i > 0 && k>>8 == keys[w-1]>>8 {
				keys[w-1] |= k & 0xff
				continue
			}
			keys[w] = k
			w++
		}
		off[v+1] = int32(w)
	}
	g.off = off
	g.to = make([]int32, w)
	g.rel = make([]Rel, w)
	for i, k := range keys[:w] {
		g.to[i] = int32(k >> 8)
		g.rel[i] = Rel(k)
	}
}
