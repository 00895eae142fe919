package cycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// The anomaly names, in the order Find reports them.
const (
	G0          = "G0"
	G0Process   = "G0-process"
	G0Realtime  = "G0-realtime"
	G1c         = "G1c"
	G1cProcess  = "G1c-process"
	G1cRealtime = "G1c-realtime"
)

// Step is one edge of a cycle and the one relation used for it: the first of WR, WW, Process,
// Realtime that the edge carries and the anomaly allows.
type Step struct {
	From, To int
	Rel      Rel
}

// Cycle is a dependency cycle: Steps[i].To == Steps[i+1].From, and the last To is the first
// From.
type Cycle struct {
	Anomaly string
	Steps   []Step
}

// anomaly is what Find looks for under one name: cycles over the allowed relations with at
// least one step of the key relation (every other relation of the cycle follows, see the
// package doc).
type anomaly struct {
	name    string
	allowed Rel
	key     Rel
}

var anomalies = []anomaly{
	{G0, WW, WW},
	{G0Process, WW | Process, Process},
	{G0Realtime, WW | Process | Realtime, Realtime},
	{G1c, WR, WR},
	{G1cProcess, WR | Process, Process},
	{G1cRealtime, WR | Process | Realtime, Realtime},
}

// Find returns up to limit cycles per anomaly name, in the order G0, G0-process, G0-realtime,
// G1c, G1c-process, G1c-realtime, and within a name by the smallest node of the component the
// cycle lies in: one cycle per strongly connected component, the shortest through the
// component's first edge (by source, then target) whose step is the anomaly's key relation.
// The same graph always gives the same cycles. It returns an error when limit < 1, when
// Process and Realtime edges alone form a cycle (the order of the history is inconsistent), or
// when ctx ends (wrapping ctx.Err()).
func Find(ctx context.Context, g *Graph, limit int) ([]Cycle, error) {
	if limit < 1 {
		return nil, fmt.Errorf("cycle: find: limit %d, want at least 1", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cycle: find: %w", err)
	}
	g.merge()
	s := newSearch(g)
	if err := s.orderAcyclic(ctx); err != nil {
		return nil, err
	}
	var out []Cycle
	for _, a := range anomalies {
		found, err := s.find(ctx, a, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// orderAcyclic returns an error naming a cycle of Process and Realtime edges, if any.
func (s *search) orderAcyclic(ctx context.Context) error {
	order := anomaly{"process/realtime", Process | Realtime, Process | Realtime}
	found, err := s.find(ctx, order, 1)
	if err != nil || len(found) == 0 {
		return err
	}
	var b []byte
	for _, st := range found[0].Steps {
		b = fmt.Appendf(b, "%d -%s-> ", st.From, st.Rel)
	}
	b = fmt.Append(b, found[0].Steps[0].From)
	return errors.New("cycle: process and realtime edges form a cycle (" + string(b) +
		"): a process ran two transactions at once, or an interval is wrong")
}

// find returns up to limit cycles of one anomaly, one per component.
func (s *search) find(ctx context.Context, a anomaly, limit int) ([]Cycle, error) {
	if err := s.components(ctx, a.allowed); err != nil {
		return nil, err
	}
	g := s.g
	var out []Cycle
	done := make([]bool, len(s.start)-1)
	for first := range int32(g.n) {
		c := s.comp[first]
		if s.start[c+1]-s.start[c] < 2 || done[c] {
			continue
		}
		done[c] = true
		cyc, err := s.cycleIn(ctx, a, c)
		if err != nil {
			return nil, err
		}
		if cyc != nil {
			out = append(out, *cyc)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// cycleIn finds component c's cycle for anomaly a, nil if c has no edge of a's key relation.
func (s *search) cycleIn(ctx context.Context, a anomaly, c int32) (*Cycle, error) {
	g := s.g
	members := s.members[s.start[c]:s.start[c+1]]
	slices.Sort(members)
	for _, u := range members {
		for e := g.off[u]; e < g.off[u+1]; e++ {
			if err := s.tick(ctx); err != nil {
				return nil, err
			}
			v := g.to[e]
			if s.comp[v] != c || pick(g.rel[e]&a.allowed)&a.key == 0 {
				continue
			}
			// u and v share a component, so a path v -> u exists.
			path, err := s.shortestPath(ctx, v, u, a.allowed, c)
			if err != nil {
				return nil, err
			}
			if path == nil {
				return nil, fmt.Errorf("cycle: internal error: no path %d -> %d inside their component", v, u)
			}
			cyc := &Cycle{Anomaly: a.name}
			prev := u
			for _, w := range path {
				cyc.Steps = append(cyc.Steps, Step{int(prev), int(w), pick(g.rels(prev, w) & a.allowed)})
				prev = w
			}
			return cyc, nil
		}
	}
	return nil, nil
}
