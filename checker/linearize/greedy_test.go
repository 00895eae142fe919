package linearize

import (
	"context"
	"math/rand"
	"sort"
	"testing"

	"github.com/anishathalye/porcupine"
)

// randomLinOps makes a small random history of sends (ranks 0..n-1) and
// point polls, sometimes linearizable and sometimes not.
func randomLinOps(rng *rand.Rand) []linOp {
	n := 1 + rng.Intn(7)
	var ops []linOp
	clock := int64(0)
	for r := range n {
		clock += int64(rng.Intn(4))
		call := clock + int64(rng.Intn(6)) - 3
		ops = append(ops, linOp{send: true, rank: r, call: call, ret: call + int64(rng.Intn(8)), op: int64(r)})
	}
	for i := range rng.Intn(5) {
		t := int64(rng.Intn(int(clock) + 10))
		ops = append(ops, linOp{rank: 1 + rng.Intn(n), call: t, ret: t, op: int64(100 + i)})
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].call < ops[j].call })
	return ops
}

func porcupineOK(ops []linOp, start int) bool {
	h := make([]porcupine.Operation, len(ops))
	for i := range ops {
		h[i] = porcupine.Operation{Input: &ops[i], Call: ops[i].call, Return: ops[i].ret}
	}
	return porcupine.CheckOperations(linModel(start), h)
}

// TestGreedyAgreesWithPorcupine cross-checks the two deciders, and
// checks that cutting at quiescent points does not change the answer.
func TestGreedyAgreesWithPorcupine(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	legal, illegal := 0, 0
	for i := range 5000 {
		ops := randomLinOps(rng)
		whole := porcupineOK(ops, 0)
		if greedy := len(greedyViolations(ops, 0)) == 0; greedy != whole {
			t.Fatalf("case %d: porcupine %v, greedy %v: %+v", i, whole, greedy, ops)
		}
		segmented := true
		for _, s := range segments(ops) {
			segmented = segmented && porcupineOK(s.ops, s.start)
		}
		if segmented != whole {
			t.Fatalf("case %d: whole %v, segmented %v: %+v", i, whole, segmented, ops)
		}
		if whole {
			legal++
		} else {
			illegal++
		}
	}
	if legal < 500 || illegal < 500 {
		t.Fatalf("unbalanced cases: %d legal, %d illegal", legal, illegal)
	}
}

// longLinOps makes a longer random history in which most segments are a single op and the
// others overlap a little, so that chunks are packed around the single ops Auto decides alone;
// now and then a send or a poll is misplaced.
func longLinOps(rng *rand.Rand) []linOp {
	n := 20 + rng.Intn(400)
	var ops []linOp
	clock := int64(0)
	for r := range n {
		clock += int64(1 + rng.Intn(10))
		call := clock
		if rng.Intn(8) == 0 {
			call -= int64(rng.Intn(15)) // overlaps the sends before it
		}
		ret := call + int64(rng.Intn(4))
		if rng.Intn(200) == 0 {
			call, ret = clock-40, clock-35 // done before the sends just before it began: illegal
		}
		ops = append(ops, linOp{send: true, rank: r, call: call, ret: ret, op: int64(r)})
		if rng.Intn(3) == 0 {
			t := clock + int64(rng.Intn(6))
			need := 1 + rng.Intn(r+1)
			if rng.Intn(100) == 0 {
				need = min(n, r+1+rng.Intn(3)) // reads ahead of the sends: sometimes illegal
			}
			ops = append(ops, linOp{rank: need, call: t, ret: t, op: int64(1000 + len(ops))})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].call < ops[j].call })
	return ops
}

// Auto decides single-op segments alone and packs the others into porcupine calls around them;
// it must agree with porcupine and with the greedy search deciding every segment.
func TestDecidersAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	legal, illegal, singles := 0, 0, 0
	for i := range 400 {
		var ops []linOp
		if i%2 == 0 {
			ops = randomLinOps(rng)
		} else {
			ops = longLinOps(rng)
		}
		for s := range allSegments(ops) {
			if len(s.ops) == 1 {
				singles++
			}
		}
		plans := []Plan{{key: "k", ops: ops}}
		ctx := context.Background()
		auto := Check(ctx, plans, Options{}).Verdicts[0]
		byPorcupine := Check(ctx, plans, Options{Decider: Porcupine}).Verdicts[0]
		byGreedy := Check(ctx, plans, Options{Decider: Greedy}).Verdicts[0]
		if auto != byPorcupine || auto != byGreedy {
			t.Fatalf("case %d: auto %v, porcupine %v, greedy %v: %+v", i, auto, byPorcupine, byGreedy, ops)
		}
		if auto == Legal {
			legal++
		} else {
			illegal++
		}
	}
	if legal < 50 || illegal < 50 || singles < 10000 {
		t.Fatalf("unbalanced cases: %d legal, %d illegal, %d single-op segments", legal, illegal, singles)
	}
}
