package checker

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

// linTask is one porcupine call: consecutive segments of one key.
type linTask struct {
	key      int
	ops      []linOp
	start    int
	fallback bool // too long for porcupine; decided by greedy
	outcome  porcupine.CheckResult
}

type linResult struct {
	anomalies  []Anomaly
	incomplete []string
}

// checkLinearizable checks each key's history against the log model.
func checkLinearizable(ctx context.Context, keys []*keyState, opts Options, stats *Stats) linResult {
	var res linResult
	plans := make([]linPlan, len(keys))
	var tasks []*linTask
	for i, k := range keys {
		plans[i] = planKey(k, opts)
		if len(plans[i].static) > 0 {
			res.anomalies = append(res.anomalies, plans[i].static...)
			continue
		}
		stats.LinOps += int64(len(plans[i].ops))
		var cur *linTask
		for _, seg := range segments(plans[i].ops) {
			stats.LinSegments++
			stats.LinLargest = max(stats.LinLargest, len(seg.ops))
			if len(seg.ops) > maxPorcupineOps {
				stats.LinFallback++
				tasks = append(tasks, &linTask{key: i, ops: seg.ops, start: seg.start, fallback: true})
				cur = nil
				continue
			}
			if cur == nil || len(cur.ops)+len(seg.ops) > chunkOps {
				cur = &linTask{key: i, ops: seg.ops, start: seg.start}
				tasks = append(tasks, cur)
				continue
			}
			cur.ops = cur.ops[:len(cur.ops)+len(seg.ops)] // segments are adjacent in plan.ops
		}
	}
	runTasks(ctx, tasks, opts.LinearizabilityTimeLimit)

	illegal := make(map[int]*linTask)
	unknown := make(map[int]int)
	for _, t := range tasks {
		switch t.outcome {
		case porcupine.Illegal:
			if illegal[t.key] == nil {
				illegal[t.key] = t
			}
		case porcupine.Unknown:
			unknown[t.key]++
		}
	}
	for i, k := range keys {
		if t := illegal[i]; t != nil {
			if a, ok := explainIllegal(k.name, plans[i].ops, t); ok {
				res.anomalies = append(res.anomalies, a)
			}
			continue
		}
		if n := unknown[i]; n > 0 {
			res.incomplete = append(res.incomplete, fmt.Sprintf(
				"key %s: linearizability search ran out of time (limit %s) with %d chunk(s) undecided",
				k.name, opts.LinearizabilityTimeLimit, n))
		}
	}
	return res
}

// runTasks checks tasks in parallel, sharing one deadline.
func runTasks(ctx context.Context, tasks []*linTask, limit time.Duration) {
	var deadline time.Time
	if limit > 0 {
		deadline = time.Now().Add(limit)
	}
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

// explainIllegal names the ops that cannot be placed, using the greedy search over the whole
// key for a precise explanation. It reports nothing when every violation is one another check
// already names.
func explainIllegal(key string, all []linOp, t *linTask) (Anomaly, bool) {
	if v := greedyViolations(all, 0); len(v) > 0 {
		var kept []Anomaly
		for _, x := range v {
			if !x.reportedElsewhere {
				kept = append(kept, x.Anomaly)
			}
		}
		if len(kept) == 0 {
			return Anomaly{}, false
		}
		a := kept[0]
		a.Key = key
		if len(kept) > 1 {
			a.Explanation += fmt.Sprintf(" (%d more ops cannot be placed either)", len(kept)-1)
		}
		return a, true
	}
	a := Anomaly{Type: Nonlinearizable, Key: key,
		Explanation: fmt.Sprintf("porcupine found no linearization of %d ops", len(t.ops))}
	for i, op := range t.ops {
		if i == 50 {
			break
		}
		a.Ops = append(a.Ops, op.op)
	}
	return a, true
}
