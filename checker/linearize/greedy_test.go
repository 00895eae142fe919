package linearize

import (
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
