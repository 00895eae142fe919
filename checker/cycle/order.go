package cycle

import (
	"cmp"
	"fmt"
	"slices"
)

// Interval is one transaction's place in time, for the process and realtime edges. Invoke and
// Complete are positions (history line indexes) of its invocation and completion; a
// transaction that never completed (its outcome unknown) may use math.MaxInt64 as Complete:
// nothing then follows it in real time.
type Interval struct {
	Node, Process    int
	Invoke, Complete int64
}

// LinkOrder adds Process edges between consecutive transactions of each process, and Realtime
// edges a -> b whenever a completed before b was invoked, transitively reduced (Elle's
// realtime graph), so the edge count stays about n x concurrency rather than n^2.
//
// The sweep visits the invocations and completions in position order and keeps the frontier:
// completed transactions no later completed transaction was invoked after. An invocation is
// linked from the whole frontier; a completion removes from it the transactions it was linked
// from, which are exactly those that completed before its invocation: a prefix, since the
// frontier is kept in completion order. An edge a -> b is made iff a completed before b was
// invoked with no c in between (a's completion < c's invocation, c's completion < b's
// invocation), i.e. exactly the transitive reduction.
//
// It returns an error, before linking anything, for a node out of range or given twice, an
// interval that does not complete after its invocation, or two intervals of one process that
// overlap (a process runs one transaction at a time).
func LinkOrder(g *Graph, intervals []Interval) error {
	if err := checkIntervals(g, intervals); err != nil {
		return err
	}
	byProcess := slices.Clone(intervals)
	slices.SortFunc(byProcess, func(a, b Interval) int {
		return cmp.Or(cmp.Compare(a.Process, b.Process), cmp.Compare(a.Invoke, b.Invoke))
	})
	for i := 1; i < len(byProcess); i++ {
		a, b := byProcess[i-1], byProcess[i]
		if a.Process == b.Process && a.Complete >= b.Invoke {
			return fmt.Errorf("cycle: process %d runs nodes %d and %d at once ([%d, %d] and [%d, %d])",
				a.Process, a.Node, b.Node, a.Invoke, a.Complete, b.Invoke, b.Complete)
		}
	}
	for i := 1; i < len(byProcess); i++ {
		if a, b := byProcess[i-1], byProcess[i]; a.Process == b.Process {
			g.Link(a.Node, b.Node, Process)
		}
	}
	byProcess = nil

	// Events: index into intervals, with completion flagged; invocations sort before
	// completions at an equal position (equal is not "before").
	type event struct {
		pos      int64
		complete bool
		i        int32
	}
	events := make([]event, 0, 2*len(intervals))
	for i, iv := range intervals {
		events = append(events, event{iv.Invoke, false, int32(i)}, event{iv.Complete, true, int32(i)})
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		if a.complete != b.complete {
			if a.complete {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.i, b.i)
	})
	var frontier []int32 // intervals, in completion order; frontier[head:] is live
	head := 0
	for _, ev := range events {
		iv := intervals[ev.i]
		if !ev.complete {
			for _, f := range frontier[head:] {
				g.Link(intervals[f].Node, iv.Node, Realtime)
			}
			continue
		}
		for head < len(frontier) && intervals[frontier[head]].Complete < iv.Invoke {
			head++
		}
		if head > len(frontier)/2 && head > 1024 {
			frontier = append(frontier[:0], frontier[head:]...)
			head = 0
		}
		frontier = append(frontier, ev.i)
	}
	return nil
}

// checkIntervals refuses intervals LinkOrder cannot order.
func checkIntervals(g *Graph, intervals []Interval) error {
	if len(intervals) >= 1<<31-1 {
		return fmt.Errorf("cycle: %d intervals, more than 2^31", len(intervals))
	}
	seen := make([]bool, g.Len())
	for _, iv := range intervals {
		if iv.Node < 0 || iv.Node >= g.Len() {
			return fmt.Errorf("cycle: interval of node %d: node out of range [0, %d)", iv.Node, g.Len())
		}
		if seen[iv.Node] {
			return fmt.Errorf("cycle: node %d has two intervals", iv.Node)
		}
		seen[iv.Node] = true
		if iv.Complete <= iv.Invoke {
			return fmt.Errorf("cycle: node %d completes at %d, not after its invocation at %d",
				iv.Node, iv.Complete, iv.Invoke)
		}
	}
	return nil
}
