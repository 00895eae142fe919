package checker

import (
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
)

const k0 = "t-0"

func TestCleanHistory(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Poll(1, r(k0, 0, "a", 1, "b"))
	res := b.check(Options{})
	only(t, res)
	if res.Stats.SendsOK != 2 || res.Stats.PollsOK != 1 || res.Stats.Keys != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestEmptyHistoryIsNotValid(t *testing.T) {
	for name, b := range map[string]*builder{"empty": newBuilder(t), "nemesis only": newBuilder(t)} {
		if name == "nemesis only" {
			b.Line(history.NemesisProcess, history.Invoke, "kill-leader", map[string]string{"fault": "kill-leader"})
			b.Line(history.NemesisProcess, history.Info, "kill-leader", map[string]string{"fault": "kill-leader"})
		}
		res := b.check(Options{})
		if res.Valid != Unknown || len(res.Incomplete) == 0 || len(res.Anomalies) != 0 {
			t.Errorf("%s history: verdict %s, incomplete %v; want unknown with a reason", name, res.Valid, res.Incomplete)
		}
	}
}

func TestLostWrite(t *testing.T) {
	b := newBuilder(t)
	inv := b.SendInvoke(0, k0, "a")
	ok := b.SendOK(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	poll := b.Poll(1, r(k0, 1, "b"))
	res := b.check(Options{})
	only(t, res, LostWrite)
	hasOps(t, res, LostWrite, inv, ok, poll)
	if a := res.Anomalies[LostWrite][0]; a.Key != k0 || a.Values[0] != "a" || a.Offsets[0] != 0 {
		t.Errorf("anomaly %+v", a)
	}
}

func TestReadWriteIsNotLost(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Poll(1, r(k0, 1, "b"))
	b.Poll(2, r(k0, 0, "a"))
	only(t, b.check(Options{}))
}

func TestUnseen(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	inv := b.SendInvoke(0, k0, "b")
	b.SendOK(0, k0, "b", 1)
	b.Poll(1, r(k0, 0, "a"))
	res := b.check(Options{})
	only(t, res, Unseen)
	hasOps(t, res, Unseen, inv)
}

func TestDuplicate(t *testing.T) {
	b := newBuilder(t)
	inv := b.SendInvoke(0, k0, "a")
	b.SendOK(0, k0, "a", 0)
	poll := b.Poll(1, r(k0, 0, "a", 1, "a"))
	res := b.check(Options{})
	only(t, res, Duplicate) // one cause, one anomaly: the model does not count the copy again
	hasOps(t, res, Duplicate, inv, poll)

	// Allowed: reported, not failing, and the model accepts the copy.
	res = b.check(Options{Allow: map[AnomalyType]bool{Duplicate: true}})
	if res.Valid != Valid || len(res.Anomalies[Duplicate]) != 1 || len(res.Anomalies[Nonlinearizable]) != 0 {
		t.Errorf("allowed duplicate: valid %s, %s", res.Valid, dump(res))
	}
	if len(res.Allowed) != 1 || res.Allowed[0] != Duplicate {
		t.Errorf("allowed %v", res.Allowed)
	}
}

func TestDuplicateAllowedStillChecksOrder(t *testing.T) {
	// The copy is fine, but a's send returned before b's was invoked
	// while b sits at an earlier offset: still nonlinearizable.
	b := newBuilder(t)
	b.Send(0, k0, "a", 1)
	b.Send(1, k0, "b", 0)
	b.Poll(2, r(k0, 0, "b", 1, "a", 2, "a"))
	res := b.check(Options{Allow: map[AnomalyType]bool{Duplicate: true}})
	if res.Valid != Invalid || len(res.Anomalies[Nonlinearizable]) == 0 {
		t.Errorf("want nonlinearizable, got %s %s", res.Valid, dump(res))
	}
}

func TestInconsistentOffsets(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Poll(1, r(k0, 0, "a"))
	b.SendInvoke(3, k0, "x")
	b.SendEnd(3, history.Info)
	p2 := b.Poll(2, r(k0, 0, "x"))
	res := b.check(Options{})
	only(t, res, InconsistentOffsets)
	hasOps(t, res, InconsistentOffsets, 1, p2) // the ack of a, and the read of x
	if a := res.Anomalies[InconsistentOffsets][0]; len(a.Values) != 2 || a.Offsets[0] != 0 {
		t.Errorf("anomaly %+v", a)
	}
}

func TestTwoSendsAckedAtOneOffset(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(1, k0, "b", 0)
	b.Poll(2, r(k0, 0, "a"))
	res := b.check(Options{})
	only(t, res, InconsistentOffsets, Unseen)
}

func TestAbortedRead(t *testing.T) {
	b := newBuilder(t)
	inv := b.SendInvoke(0, k0, "a")
	fail := b.SendEnd(0, history.Fail)
	poll := b.Poll(1, r(k0, 0, "a"))
	res := b.check(Options{})
	only(t, res, AbortedRead)
	hasOps(t, res, AbortedRead, inv, fail, poll)

	res = b.check(Options{Allow: map[AnomalyType]bool{AbortedRead: true}})
	if res.Valid != Valid || len(res.Anomalies[AbortedRead]) != 1 {
		t.Errorf("allowed aborted read: %s %s", res.Valid, dump(res))
	}
}

func TestFailedSendNotReadIsFine(t *testing.T) {
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.SendEnd(0, history.Fail)
	b.Send(0, k0, "b", 0)
	b.Poll(1, r(k0, 0, "b"))
	only(t, b.check(Options{}))
}

func TestNonmonotonicSend(t *testing.T) {
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	first := b.SendOK(0, k0, "a", 1)
	b.SendInvoke(0, k0, "b")
	second := b.SendOK(0, k0, "b", 0)
	b.Poll(1, r(k0, 0, "b", 1, "a"))
	res := b.check(Options{})
	only(t, res, NonmonotonicSend) // the same process: not nonlinearizable again
	hasOps(t, res, NonmonotonicSend, first, second)
}

func TestMonotonicSendsAcrossKeys(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 5)
	b.Send(0, "t-1", "b", 0)
	b.Poll(1, map[string][]history.Read{k0: {{Offset: 5, Value: "a"}}, "t-1": {{Offset: 0, Value: "b"}}})
	only(t, b.check(Options{}))
}

func TestNonmonotonicPoll(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	first := b.Poll(1, r(k0, 0, "a", 1, "b"))
	second := b.Poll(1, r(k0, 1, "b"))
	res := b.check(Options{})
	only(t, res, NonmonotonicPoll)
	hasOps(t, res, NonmonotonicPoll, first, second)
}

func TestMonotonicPolls(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Poll(1, r(k0, 0, "a"))
	b.Poll(1, r(k0))
	b.Poll(1, r(k0, 1, "b"))
	b.Poll(2, r(k0, 1, "b")) // another process may re-read
	only(t, b.check(Options{}))
}

func TestPollSkip(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	first := b.Poll(1, r(k0, 0, "a"))
	second := b.Poll(1, r(k0, 2, "c"))
	b.Poll(2, r(k0, 1, "b"))
	res := b.check(Options{})
	only(t, res, PollSkip)
	hasOps(t, res, PollSkip, first, second)
}

func TestPollGapOverMissingOffsetsIsNotSkip(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "c", 5) // offsets need not be dense
	b.Poll(1, r(k0, 0, "a"))
	b.Poll(1, r(k0, 5, "c"))
	only(t, b.check(Options{}))
}

func TestSkipWithinOnePoll(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	b.Poll(1, r(k0, 0, "a", 2, "c"))
	b.Poll(2, r(k0, 1, "b"))
	res := b.check(Options{})
	only(t, res, PollSkip)
}

func TestNonlinearizableSendOrder(t *testing.T) {
	// a is acked at 1 and returns before b is invoked, yet b is at 0.
	b := newBuilder(t)
	aInv := b.SendInvoke(0, k0, "a")
	b.SendOK(0, k0, "a", 1)
	bInv := b.SendInvoke(1, k0, "b")
	b.SendOK(1, k0, "b", 0)
	b.Poll(2, r(k0, 0, "b", 1, "a"))
	res := b.check(Options{})
	only(t, res, Nonlinearizable)
	hasOps(t, res, Nonlinearizable, aInv, bInv)
}

func TestConcurrentSendsMayLandInEitherOrder(t *testing.T) {
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.SendInvoke(1, k0, "b")
	b.SendOK(1, k0, "b", 0)
	b.SendOK(0, k0, "a", 1)
	b.Poll(2, r(k0, 0, "b", 1, "a"))
	only(t, b.check(Options{}))
}

func TestNonlinearizableReadBeforeSend(t *testing.T) {
	b := newBuilder(t)
	poll := b.Poll(1, r(k0, 0, "a"))
	inv := b.SendInvoke(0, k0, "a")
	b.SendOK(0, k0, "a", 0)
	res := b.check(Options{})
	only(t, res, Nonlinearizable)
	hasOps(t, res, Nonlinearizable, poll, inv)
}

func TestNonlinearizableReadOfInfoSendBeforeInvoke(t *testing.T) {
	b := newBuilder(t)
	poll := b.Poll(1, r(k0, 0, "a"))
	inv := b.SendInvoke(0, k0, "a")
	b.SendEnd(0, history.Info)
	res := b.check(Options{})
	only(t, res, Nonlinearizable)
	hasOps(t, res, Nonlinearizable, poll, inv)
}

func TestInfoAndIncompleteSends(t *testing.T) {
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.SendEnd(0, history.Info) // read later: it happened
	b.SendInvoke(5, k0, "b")   // a process that ended info does not go on
	b.SendEnd(5, history.Info) // never read: maybe it did not
	b.Send(1, k0, "c", 1)
	b.SendInvoke(2, k0, "d") // never completes, but was read
	b.Poll(3, r(k0, 0, "a", 1, "c", 2, "d"))
	b.PollInvoke(4, k0) // never completes
	b.Line(history.NemesisProcess, history.Invoke, "partition", map[string]any{"nodes": []string{"n1"}})
	res := b.check(Options{})
	only(t, res)
	if res.Stats.Incomplete != 2 || res.Stats.SendsInfo != 2 || res.Stats.NemesisOps != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestInfoSendOrderStillChecked(t *testing.T) {
	// An info send read at an offset below an ok send that completed
	// before the info send was invoked.
	b := newBuilder(t)
	b.Send(1, k0, "c", 1)
	b.SendInvoke(0, k0, "d")
	b.SendEnd(0, history.Info)
	b.Poll(3, r(k0, 0, "d", 1, "c"))
	res := b.check(Options{})
	only(t, res, Nonlinearizable)
}

func TestLinearizabilityTimeout(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.SendInvoke(0, k0, "b")
	b.SendInvoke(1, k0, "c")
	b.SendOK(1, k0, "c", 1)
	b.SendOK(0, k0, "b", 2)
	b.Poll(1, r(k0, 0, "a", 1, "c", 2, "b"))
	res := b.check(Options{LinearizabilityTimeLimit: 1})
	if res.Valid != Unknown || len(res.Incomplete) == 0 || len(res.Anomalies) != 0 {
		t.Errorf("want unknown, got %s %v %s", res.Valid, res.Incomplete, dump(res))
	}
}

func TestCheckReportsLineOfBadValue(t *testing.T) {
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.Line(0, history.OK, history.FSend, map[string]any{"key": k0, "value": "a"}) // no offset
	_, err := Check(t.Context(), stringsReader(b.Text()), Options{})
	var le *history.LineError
	if !asLineError(err, &le) || le.Line != 2 {
		t.Fatalf("want line 2 error, got %v", err)
	}
	b2 := newBuilder(t)
	b2.Send(0, k0, "a", 0)
	b2.SendInvoke(1, k0, "a") // values are unique per send
	_, err = Check(t.Context(), stringsReader(b2.Text()), Options{})
	if !asLineError(err, &le) || le.Line != 3 {
		t.Fatalf("want line 3 error, got %v", err)
	}
}
