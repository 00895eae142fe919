package checker

import (
	"context"
	"slices"
	"time"

	"github.com/kafkaesque/kafkaesque/checker/linearize"
)

type linResult struct {
	anomalies  []Anomaly
	incomplete []string
}

// checkLinearizable checks each key's history against the log model (package linearize), one
// key at a time (each key's search runs in parallel) so that one key's plan is in memory at once,
// all under one time limit.
func checkLinearizable(ctx context.Context, keys []*keyState, opts Options, stats *Stats) linResult {
	lopts := linearize.Options{TimeLimit: opts.LinearizabilityTimeLimit}
	if lopts.TimeLimit > 0 {
		lopts.Deadline = time.Now().Add(lopts.TimeLimit)
	}
	var res linResult
	var key linearize.Key // its slices are reused from key to key: Prepare keeps nothing of them
	for _, k := range keys {
		key = linKey(key, k, opts)
		out := linearize.Check(ctx, []linearize.Plan{linearize.Prepare(key)}, lopts)
		stats.LinOps += out.Stats.Ops
		stats.LinSegments += out.Stats.Segments
		stats.LinLargest = max(stats.LinLargest, out.Stats.Largest)
		stats.LinFallback += out.Stats.Fallback
		res.incomplete = append(res.incomplete, out.Incomplete...)
		for _, v := range out.Violations {
			res.anomalies = append(res.anomalies, Anomaly{Type: Nonlinearizable, Key: v.Key, Ops: v.Ops,
				Offsets: v.Offsets, Values: v.Values, Explanation: v.Explanation})
		}
	}
	return res
}

// linKey fills key, reusing its slices, with a key's sends, each with the offset it claims,
// and its polls. What other checks already report is not judged again there: two values at
// one offset (inconsistent-offsets), a value at several offsets (duplicate), a read of a
// failed send (aborted-read), a read of a value nobody sent (phantom-read), a gap inside one
// poll (poll-skip). Each offset gets one owner, the first send to claim it, and the model is
// searched over those, so what is left for nonlinearizable is real-time order: a send placed
// before one that completed before it was invoked, or a poll that saw an offset before the
// send there was invoked.
func linKey(key linearize.Key, k *keyState, opts Options) linearize.Key {
	key.Name, key.Sends, key.Polls = k.name, slices.Grow(key.Sends[:0], len(k.ids)), slices.Grow(key.Polls[:0], len(k.polls))
	for r := range k.records() {
		if r.invokeOp < 0 || r.nseen == 0 || r.lost {
			// Values nobody sent sit at free positions; unread unacked sends may not have
			// happened; a lost write is reported as such, and whatever later took its offset
			// must not count against it again.
			continue
		}
		own := int64(-1)
		switch r.status {
		case sentOK:
			own = r.ack
		case pending, sentInfo:
			own = k.minSeen(r)
		case sentFail:
			if opts.Allow[AbortedRead] {
				own = k.minSeen(r)
			}
		}
		key.Sends = append(key.Sends, linearize.Send{Value: k.c.str(r), Claim: own, Process: r.process,
			InvokeOp: r.invokeOp, CompleteOp: r.completeOp, InvokeTime: r.invokeTime,
			ReturnTime: r.returnTime, Acked: r.status == sentOK})
	}
	for _, p := range k.polls {
		key.Polls = append(key.Polls, linearize.Poll{Op: p.op, Process: p.process,
			ReturnTime: p.returnTime, Last: p.last, Value: k.c.str(k.c.rec(p.lastRec))})
	}
	return key
}
