package linearize

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

const (
	// chunkOps packs small segments into one porcupine call to amortise
	// its per-call overhead; porcupine's per-step cost grows with the
	// call's length, so chunks stay short.
	chunkOps = 256
	// maxPorcupineOps bounds a single segment given to porcupine, whose
	// memory is quadratic in it (a bitset cloned per step). Longer
	// segments are decided by the exact greedy search in greedy.go.
	maxPorcupineOps = 20000
)

// linModel is the append-only log model; the state is the number of owned
// positions appended. Sends append exactly their own rank; polls need
// their ranks present.
func linModel(start int) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return start },
		Step: func(state, input, _ any) (bool, any) {
			k, op := state.(int), input.(*linOp)
			if op.send {
				if k == op.rank {
					return true, k + 1
				}
				return false, k
			}
			return k >= op.rank, k
		},
		Hash: func(state any) uint64 { return uint64(state.(int)) * 0x9e3779b97f4a7c15 },
		DescribeOperation: func(input, _ any) string {
			op := input.(*linOp)
			if op.send {
				return fmt.Sprintf("send@%d", op.offset)
			}
			return fmt.Sprintf("poll..%d", op.offset)
		},
	}
}

// linTask is one porcupine call: segments of one key, in order, or one segment for the greedy
// search.
type linTask struct {
	key      int
	ops      []linOp
	start    int
	sends    int  // sends packed so far
	fallback bool // decided by greedy (too long for porcupine)
	// singles counts the segments of a single op the task stands for, decided by the model's
	// step alone (singleLegal) when the task runs; ops is the first that is illegal, if any.
	singles int
	outcome porcupine.CheckResult
}

// pack appends a copy of seg's ops to the task. The segments between the task's are left out
// (single ops decided alone, singleLegal), so the ranks are shifted to count from the task's
// start as if the sends of the segments left out were not there: from a quiescent point the
// state is known, so the shifted history is linearizable exactly when each segment is from its
// own start.
func (t *linTask) pack(seg segment) {
	shift := seg.start - (t.start + t.sends)
	for _, op := range seg.ops {
		op.rank -= shift
		t.ops = append(t.ops, op)
		if op.send {
			t.sends++
		}
	}
}

// singleLegal decides a segment of the one op from state start, as the model's step does: a
// send must append the next rank, a poll needs its ranks appended.
func singleLegal(op linOp, start int) bool {
	if op.send {
		return op.rank == start
	}
	return start >= op.rank
}

// runTasks checks tasks in parallel, sharing one deadline (zero: none).
func runTasks(ctx context.Context, tasks []*linTask, deadline time.Time) {
	work := make(chan *linTask)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				t.outcome = runTask(ctx, t, deadline)
			}
		}()
	}
	for _, t := range tasks {
		work <- t
	}
	close(work)
	wg.Wait()
}

func runTask(ctx context.Context, t *linTask, deadline time.Time) porcupine.CheckResult {
	if ctx.Err() != nil {
		return porcupine.Unknown
	}
	if t.singles > 0 {
		switch {
		case !deadline.IsZero() && time.Until(deadline) <= 0:
			return porcupine.Unknown
		case t.ops != nil:
			return porcupine.Illegal
		}
		return porcupine.Ok
	}
	if t.fallback {
		if len(greedyViolations(t.ops, t.start)) > 0 {
			return porcupine.Illegal
		}
		return porcupine.Ok
	}
	var timeout time.Duration
	if !deadline.IsZero() {
		if timeout = time.Until(deadline); timeout <= 0 {
			return porcupine.Unknown
		}
	}
	history := make([]porcupine.Operation, len(t.ops))
	for i := range t.ops {
		op := &t.ops[i]
		history[i] = porcupine.Operation{ClientId: op.process, Input: op, Call: op.call, Return: op.ret}
	}
	return porcupine.CheckOperationsTimeout(linModel(t.start), history, timeout)
}
