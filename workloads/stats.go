package workloads

import (
	"sync/atomic"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// OpCounts counts the ops of one kind (send or poll).
type OpCounts struct {
	Invoked, OK, Info, Fail int64
}

// Completed is OK + Info + Fail.
func (c OpCounts) Completed() int64 { return c.OK + c.Info + c.Fail }

// Stats is a snapshot of a workload's progress.
type Stats struct {
	Elapsed   time.Duration // since Run began; zero before
	Send      OpCounts
	Poll      OpCounts
	Processes int   // process ids handed out by the run's allocator
	Crashes   int64 // consumers crashed on purpose (QueueConfig.CrashInterval)
	Txn       TxnCounts
}

// TxnCounts counts the transactions of the txn workload (workloads/txn) and their mops.
type TxnCounts struct {
	Invoked, Committed, Info int64
	AbortedOnPurpose         int64 // planned aborts the broker confirmed (fail)
	AbortedAfterError        int64 // fail after an error: aborted, or proven not committed
	Sends, Polls             int64 // acknowledged sends and polls run, in every transaction
}

// Completed is Committed + Info + both kinds of abort.
func (c TxnCounts) Completed() int64 {
	return c.Committed + c.Info + c.AbortedOnPurpose + c.AbortedAfterError
}

// Completed is the number of completed client ops.
func (s Stats) Completed() int64 { return s.Send.Completed() + s.Poll.Completed() + s.Txn.Completed() }

// OpsPerSecond is the mean completion rate since Run began. For a rate over
// a window, subtract two snapshots.
func (s Stats) OpsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Completed()) / s.Elapsed.Seconds()
}

type opCounters struct{ invoked, ok, info, fail atomic.Int64 }

func (c *opCounters) complete(typ history.Type) {
	switch typ {
	case history.OK:
		c.ok.Add(1)
	case history.Info:
		c.info.Add(1)
	default:
		c.fail.Add(1)
	}
}

func (c *opCounters) snapshot() OpCounts {
	return OpCounts{Invoked: c.invoked.Load(), OK: c.ok.Load(), Info: c.info.Load(), Fail: c.fail.Load()}
}

// OpCounter counts one kind of op of a workload outside this package (the group's polls);
// safe for concurrent use.
type OpCounter struct{ c opCounters }

// Invoked counts an invoke.
func (c *OpCounter) Invoked() { c.c.invoked.Add(1) }

// Completed counts a completion of type typ.
func (c *OpCounter) Completed(typ history.Type) { c.c.complete(typ) }

// Snapshot returns the counts so far.
func (c *OpCounter) Snapshot() OpCounts { return c.c.snapshot() }

// counters are updated by every client and read by Stats concurrently.
type counters struct {
	start   atomic.Int64 // unix nanoseconds when Run began, 0 before
	send    opCounters
	poll    opCounters
	crashes atomic.Int64
}

func (c *counters) of(f string) *opCounters {
	if f == history.FSend {
		return &c.send
	}
	return &c.poll
}
