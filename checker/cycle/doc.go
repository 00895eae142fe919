// Package cycle finds dependency cycles among the committed transactions of a Kafka
// transactional history, the way Jepsen's Kafka workload does with Elle, and names them
// G0, G0-process, G0-realtime, G1c, G1c-process and G1c-realtime.
//
// The caller numbers its transactions 0..n-1, builds a Graph of WW (write-write: offset order
// of two sends to one key), WR (write-read: one read a value the other sent) edges, and adds
// Process and Realtime edges with LinkOrder. Find then looks, for each anomaly, at the graph
// restricted to the anomaly's relations, splits it into strongly connected components
// (iteratively: a million nodes would overflow a recursive search) and reports, per
// component, the shortest cycle through the component's first edge of the anomaly's
// distinguishing relation, found by breadth-first search.
//
// Classification, the project's deliberate rule. Each step of a cycle stands for one relation
// of its edge: the first of WR, WW, Process, Realtime that the edge carries and the anomaly
// allows.
//
//   - G0: WW steps only.
//   - G0-process: WW and at least one Process step, no Realtime step.
//   - G0-realtime: WW and at least one Realtime step; Process steps may appear.
//   - G1c: WR steps only (edges that also carry WW are fine: the read is what counts).
//   - G1c-process, G1c-realtime: likewise, WR with Process or Realtime steps.
//
// A cycle that needs both a WW step and a WR step is not reported, and G1c is searched among
// WR, Process and Realtime edges only. Kafka does not isolate writes: a send gets its offset
// when it is sent, not when its transaction commits, so T1 <ww T2 <wr T1 is Kafka's normal
// interleaving (T1 sends to k, T2 sends to k and to j and commits, T1 then reads T2's j).
// Jepsen therefore allows every G1c once it infers ww edges; leaving WW out of the G1c search
// instead keeps a G1c a real anomaly at read-committed: T1 read something T2 committed and,
// through reads (and real-time or process order), T2 depends on T1 having committed first.
// G0 cycles are reported under their names for the same reason Jepsen reports them: the caller
// decides whether its model allows them (Kafka's does).
//
// Process and Realtime edges alone must be acyclic (they are for any real history); Find
// returns an error naming such a cycle. This is also why every -process or -realtime cycle
// found has a WW (or WR) step: a cycle without one would be a Process/Realtime cycle.
package cycle
