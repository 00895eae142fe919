package workloads

import "sync/atomic"

// ProcessIDs hands out client process ids: 0, 1, 2, ... never reusing one.
// A client takes a fresh id after every info or fail, because an op with an
// unknown outcome may still be in flight and a process has at most one op
// outstanding. One allocator is shared by every client of a run. The zero
// value is ready to use and safe for concurrent use.
type ProcessIDs struct{ next atomic.Int64 }

// Next returns an id no earlier call returned.
func (p *ProcessIDs) Next() int { return int(p.next.Add(1) - 1) }

// Allocated is how many ids have been handed out.
func (p *ProcessIDs) Allocated() int { return int(p.next.Load()) }
