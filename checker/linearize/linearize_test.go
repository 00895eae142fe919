package linearize

import (
	"context"
	"strings"
	"testing"
	"time"
)

func check(t *testing.T, ctx context.Context, k Key, opts Options) Outcome {
	t.Helper()
	out := Check(ctx, []Plan{Prepare(k)}, opts)
	if len(out.Verdicts) != 1 {
		t.Fatalf("%d verdicts for one plan", len(out.Verdicts))
	}
	return out
}

// Of two sends claiming offset 0, the first invoked owns it whatever the order given; a poll
// that read the other's value there says nothing about the owner.
func TestCheckFirstClaimOwns(t *testing.T) {
	a := Send{Value: "a", Claim: 0, InvokeOp: 0, CompleteOp: 1, InvokeTime: 0, ReturnTime: 10, Acked: true}
	b := Send{Value: "b", Claim: 0, Process: 1, InvokeOp: 5, CompleteOp: 6, InvokeTime: 50, ReturnTime: 60, Acked: true}
	poll := Poll{Op: 3, Process: 2, ReturnTime: 20, Last: 0, Value: "b"}
	out := check(t, context.Background(), Key{Name: "t-0", Sends: []Send{b, a}, Polls: []Poll{poll}}, Options{})
	if out.Verdicts[0] != Legal || len(out.Violations) > 0 {
		t.Fatalf("a owns offset 0, so the poll of b there constrains nothing; got %v %+v", out.Verdicts[0], out.Violations)
	}
	// b invoked first owns offset 0, and the poll read it 30 before it was invoked.
	b.InvokeOp, a.InvokeOp = 0, 5
	out = check(t, context.Background(), Key{Name: "t-0", Sends: []Send{a, b}, Polls: []Poll{poll}}, Options{})
	if out.Verdicts[0] != Illegal || len(out.Violations) != 1 {
		t.Fatalf("want one violation, got %v %+v", out.Verdicts[0], out.Violations)
	}
	want := "poll op 3 read up to offset 0 before the send at offset 0 was invoked (op 0)"
	if v := out.Violations[0]; v.Key != "t-0" || v.Explanation != want {
		t.Fatalf("got %+v, want %q", v, want)
	}
}

// An unacknowledged send read before it was invoked is found before any search; one read
// after it was invoked is not.
func TestCheckStatic(t *testing.T) {
	s := Send{Value: "x", Claim: 4, InvokeOp: 7, CompleteOp: -1, InvokeTime: 100, ReturnTime: never}
	for _, c := range []struct {
		returned int64
		want     Verdict
	}{{90, Illegal}, {110, Legal}} {
		poll := Poll{Op: 2, Process: 1, ReturnTime: c.returned, Last: 4, Value: "x"}
		out := check(t, context.Background(), Key{Name: "t-1", Sends: []Send{s}, Polls: []Poll{poll}}, Options{})
		if out.Verdicts[0] != c.want || (c.want == Illegal) != (len(out.Violations) == 1) {
			t.Fatalf("poll returned at %d: got %v %+v, want %v", c.returned, out.Verdicts[0], out.Violations, c.want)
		}
		if c.want == Illegal && !strings.Contains(out.Violations[0].Explanation, `before the send of "x" there was invoked (op 7)`) {
			t.Fatalf("explanation: %q", out.Violations[0].Explanation)
		}
		if c.want == Illegal && out.Stats.Ops != 0 {
			t.Fatalf("a key found illegal before the search was searched: %+v", out.Stats)
		}
	}
}

// A search that cannot finish leaves the key unknown and says why; the greedy search does not
// depend on the deadline.
func TestCheckUndecided(t *testing.T) {
	k := Key{Name: "t-2", Sends: []Send{
		{Value: "a", Claim: 0, InvokeOp: 0, CompleteOp: 2, InvokeTime: 0, ReturnTime: 20, Acked: true},
		{Value: "b", Claim: 1, InvokeOp: 1, CompleteOp: 3, InvokeTime: 10, ReturnTime: 30, Acked: true}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := check(t, ctx, k, Options{TimeLimit: time.Second})
	want := "key t-2: linearizability search ran out of time (limit 1s) with 1 chunk(s) undecided"
	if out.Verdicts[0] != Unknown || len(out.Incomplete) != 1 || out.Incomplete[0] != want {
		t.Fatalf("got %v %q, want %q", out.Verdicts[0], out.Incomplete, want)
	}
	out = check(t, context.Background(), k, Options{Decider: Greedy})
	if out.Verdicts[0] != Legal || out.Stats.Fallback != 1 || out.Stats.Ops != 2 {
		t.Fatalf("greedy: got %v %+v", out.Verdicts[0], out.Stats)
	}
}
