package cycle

import (
	"context"
	"fmt"
)

// checkEvery is how many steps the searches take between looks at their context.
const checkEvery = 1 << 16

// search holds the per-node arrays of one Find, reused across anomalies.
type search struct {
	g *Graph
	// Tarjan's state. index[v] is v's visit number + 1 (0: unvisited); comp[v] its component,
	// -1 while on the stack.
	index, low, cursor, comp []int32
	stack, path              []int32
	// Component c's nodes are members[start[c]:start[c+1]] (in the order Tarjan popped them).
	members, start []int32
	// Breadth-first search: parent[v] is v's predecessor on the path found, -1 when unvisited.
	parent, queue []int32
	steps         int
}

func newSearch(g *Graph) *search {
	s := &search{
		g:      g,
		index:  make([]int32, g.n),
		low:    make([]int32, g.n),
		cursor: make([]int32, g.n),
		comp:   make([]int32, g.n),
		parent: make([]int32, g.n),
	}
	for v := range s.parent {
		s.parent[v] = -1
	}
	return s
}

// tick counts a step and, every checkEvery steps, reports the context's error.
func (s *search) tick(ctx context.Context) error {
	s.steps++
	if s.steps%checkEvery != 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cycle: find: %w", err)
	}
	return nil
}

// components labels each node with its strongly connected component in the subgraph of the
// edges carrying a relation in mask (iterative Tarjan: no recursion, so no stack overflow on a
// long path). It fills s.comp, s.members and s.start.
func (s *search) components(ctx context.Context, mask Rel) error {
	g := s.g
	clear(s.index)
	s.members, s.start = s.members[:0], append(s.start[:0], 0)
	s.stack, s.path = s.stack[:0], s.path[:0]
	var visits int32
	visit := func(v int32) {
		visits++
		s.index[v], s.low[v] = visits, visits
		s.cursor[v] = g.off[v]
		s.comp[v] = -1
		s.stack = append(s.stack, v)
		s.path = append(s.path, v)
	}
	for root := range int32(g.n) {
		if s.index[root] != 0 {
			continue
		}
		visit(root)
		for len(s.path) > 0 {
			if err := s.tick(ctx); err != nil {
				return err
			}
			v := s.path[len(s.path)-1]
			if e := s.cursor[v]; e < g.off[v+1] {
				s.cursor[v]++
				if g.rel[e]&mask == 0 {
					continue
				}
				w := g.to[e]
				switch {
				case s.index[w] == 0:
					visit(w)
				case s.comp[w] == -1: // on the stack: in v's component
					s.low[v] = min(s.low[v], s.index[w])
				}
				continue
			}
			s.path = s.path[:len(s.path)-1]
			if len(s.path) > 0 {
				u := s.path[len(s.path)-1]
				s.low[u] = min(s.low[u], s.low[v])
			}
			if s.low[v] != s.index[v] {
				continue
			}
			c := int32(len(s.start) - 1)
			for {
				w := s.stack[len(s.stack)-1]
				s.stack = s.stack[:len(s.stack)-1]
				s.comp[w] = c
				s.members = append(s.members, w)
				if w == v {
					break
				}
			}
			s.start = append(s.start, int32(len(s.members)))
		}
	}
	return nil
}

// shortestPath returns the nodes of a shortest path from -> ... -> to over edges carrying a
// relation in mask, inside component c, or nil if there is none.
func (s *search) shortestPath(ctx context.Context, from, to int32, mask Rel, c int32) ([]int32, error) {
	g := s.g
	defer func() {
		for _, v := range s.queue {
			s.parent[v] = -1
		}
		s.queue = s.queue[:0]
	}()
	s.queue = append(s.queue[:0], from)
	s.parent[from] = from
	for head := 0; head < len(s.queue); head++ {
		if err := s.tick(ctx); err != nil {
			return nil, err
		}
		v := s.queue[head]
		for e := g.off[v]; e < g.off[v+1]; e++ {
			w := g.to[e]
			if g.rel[e]&mask == 0 || s.comp[w] != c || s.parent[w] != -1 {
				continue
			}
			s.parent[w] = v
			s.queue = append(s.queue, w)
			if w == to {
				var path []int32
				for u := to; u != from; u = s.parent[u] {
					path = append(path, u)
				}
				path = append(path, from)
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path, nil
			}
		}
	}
	return nil, nil
}
