package checker

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
)

func TestLostAfterReadIsLostWrite(t *testing.T) {
	// a is acknowledged at 0 and read; later the log is truncated and b takes offset 0 with
	// nothing refilling offset 1: the final log lacks a although a consumer read it.
	b := newBuilder(t)
	inv := b.SendInvoke(0, k0, "a")
	ack := b.SendOK(0, k0, "a", 0)
	b.PollAt(1, k0, 0, 1, false, 0, "a")
	b.Send(2, k0, "b", 0)
	drain := b.Drain(9, k0, 1, 0, "b")
	res := b.check(Options{})
	only(t, res, LostWrite, InconsistentOffsets)
	hasOps(t, res, LostWrite, inv, ack, drain)
	if a := res.Anomalies[LostWrite][0]; a.Values[0] != "a" || !strings.Contains(a.Explanation, `holds "b"`) {
		t.Errorf("lost write %+v", a)
	}
	if len(res.Causes) != 1 || res.Causes[0].Counts[LostWrite] != 1 || res.Causes[0].Counts[InconsistentOffsets] != 1 {
		t.Errorf("one truncation is one cause, got %+v", res.Causes)
	}
}

func TestLostBeyondFinalHighWatermark(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	inv := b.SendInvoke(0, k0, "b")
	b.SendOK(0, k0, "b", 1)
	b.PollAt(1, k0, 0, 2, false, 0, "a", 1, "b")
	drain := b.Drain(9, k0, 1, 0, "a") // the final log ends at 1: b is gone
	res := b.check(Options{})
	only(t, res, LostWrite)
	hasOps(t, res, LostWrite, inv, drain)
	if !strings.Contains(res.Anomalies[LostWrite][0].Explanation, "high watermark is 1") {
		t.Errorf("explanation %q", res.Anomalies[LostWrite][0].Explanation)
	}
}

func TestDrainMustSeeTheEnd(t *testing.T) {
	// A drain that read up to the high watermark it was given but never asked past it may have
	// stopped at a lagging watermark: b is unknown, not lost.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.PollAt(9, k0, 0, 1, true, 0, "a")
	res := b.check(Options{})
	if res.Valid != Unknown || len(res.Anomalies) != 0 {
		t.Errorf("verdict %s, anomalies %s; want unknown", res.Valid, dump(res))
	}
	// Asking at 1 and being told the watermark is 1 proves the end: b is lost.
	b.PollAt(9, k0, 1, 1, true)
	only(t, b.check(Options{}), LostWrite)
}

func TestLostFromDenseFinalLog(t *testing.T) {
	// A complete drain read offsets 0..1 and offset 1 was not there (a hole): b is lost, not unseen.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	b.Drain(9, k0, 3, 0, "a", 2, "c")
	res := b.check(Options{})
	only(t, res, LostWrite, PollSkip)
}

func TestCompleteFinalLogIsValid(t *testing.T) {
	// The near miss: the same shapes with the final log intact, a drain split over several
	// polls, a failed drain poll retried, and an unacknowledged write the drain saw.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.PollAt(1, k0, 0, 1, false, 0, "a")
	b.Send(0, k0, "b", 1)
	b.SendInvoke(2, k0, "c")
	b.SendEnd(2, history.Info)
	b.PollAt(3, k0, 1, 1, false) // a lagging high watermark: measured, not a failure
	b.Drain(9, k0, 3, 0, "a")
	b.Line(9, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k0}, From: map[string]int64{k0: 1}, Drain: true})
	b.Line(9, history.Fail, history.FPoll, nil)
	b.PollAt(9, k0, 1, 3, true, 1, "b", 2, "c")
	res := b.check(Options{})
	only(t, res)
	if len(res.Warnings) != 0 {
		t.Errorf("a history with every field has nothing to warn about: %v", res.Warnings)
	}
	if len(res.Lag) != 1 || res.Lag[0].Source != "hw" || res.Lag[0].WorstSeconds <= 0 {
		t.Errorf("lag %+v; want the lagging poll measured from hw", res.Lag)
	}
}

func TestIncompleteDrainIsUnknownNotValid(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, "t-1", "c", 0)
	b.PollAt(9, k0, 0, 2, true, 0, "a") // stopped before b
	b.Drain(8, "t-1", 1, 0, "c")
	res := b.check(Options{})
	if res.Valid != Unknown || len(res.Anomalies) != 0 || len(res.Incomplete) != 1 || !strings.Contains(res.Incomplete[0], "t-0 (read to 1 of 2") {
		t.Errorf("verdict %s, incomplete %v, anomalies %s; want unknown naming t-0", res.Valid, res.Incomplete, dump(res))
	}
	// A partition the drain never reached, while others were drained, is unknown too.
	b = newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, "t-1", "c", 0)
	b.Drain(8, "t-1", 1, 0, "c")
	if res := b.check(Options{}); res.Valid != Unknown || !strings.Contains(strings.Join(res.Incomplete, ""), "t-0 (no drain poll)") {
		t.Errorf("undrained key: verdict %s, incomplete %v", res.Valid, res.Incomplete)
	}
	// Direct proof still counts when the drain fell short: another value at the offset.
	b = newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(1, k0, "b", 0)
	b.PollAt(9, k0, 0, 5, true, 0, "b")
	if res := b.check(Options{}); res.Valid != Invalid || len(res.Anomalies[LostWrite]) != 1 {
		t.Errorf("overwritten write with a short drain: %s %s", res.Valid, dump(res))
	}
}

func TestPhantomRead(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	stranger := b.Poll(1, r(k0, 0, "a", 1, "stranger"))
	res := b.check(Options{})
	only(t, res, PhantomRead)
	a := res.Anomalies[PhantomRead][0]
	if a.Ops[0] != stranger || a.Offsets[0] != 1 || !strings.Contains(a.Explanation, "no send in the history carried it") {
		t.Errorf("phantom %+v", a)
	}
	if res.Stats.UnsentValues != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestMisroutedRead(t *testing.T) {
	b := newBuilder(t)
	inv := b.SendInvoke(0, k0, "a")
	b.SendOK(0, k0, "a", 0)
	b.Poll(1, r(k0, 0, "a"))
	wrong := b.Poll(2, r("t-1", 0, "a"))
	res := b.check(Options{})
	only(t, res, PhantomRead)
	a := res.Anomalies[PhantomRead][0]
	if a.Key != "t-1" || a.Ops[0] != wrong || a.Ops[1] != inv || !strings.Contains(a.Explanation, "sent to t-0") {
		t.Errorf("misrouted %+v", a)
	}
	// The near miss: the same value read from the key it was sent to.
	b = newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Poll(2, r(k0, 0, "a"))
	only(t, b.check(Options{}))
}

func TestValuesUniqueAcrossKeys(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.SendInvoke(1, "t-1", "a")
	_, err := Check(t.Context(), stringsReader(b.Text()), Options{})
	var le *history.LineError
	if !asLineError(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "already sent (to t-0)") {
		t.Fatalf("want a line 3 error naming t-0, got %v", err)
	}
}

func TestSkipAcrossConsumerCrash(t *testing.T) {
	// Process 1 read offset 0, its next poll failed, and it went on as process 2 asking for
	// offset 1, which Kafka answered with offset 2: a skip no per-process view can see.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	b.PollAt(1, k0, 0, 3, false, 0, "a")
	b.Line(1, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k0}, From: map[string]int64{k0: 1}})
	b.Line(1, history.Info, history.FPoll, nil)
	skip := b.PollAt(2, k0, 1, 3, false, 2, "c")
	b.Drain(9, k0, 3, 0, "a", 1, "b", 2, "c")
	res := b.check(Options{})
	only(t, res, PollSkip)
	hasOps(t, res, PollSkip, skip)
	if a := res.Anomalies[PollSkip][0]; a.Offsets[0] != 1 || a.Offsets[1] != 2 {
		t.Errorf("skip %+v", a)
	}
	// The near miss: the new process resumes where the old one stopped.
	b = newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.PollAt(1, k0, 0, 2, false, 0, "a")
	b.Line(1, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k0}, From: map[string]int64{k0: 1}})
	b.Line(1, history.Info, history.FPoll, nil)
	b.PollAt(2, k0, 1, 2, false, 1, "b")
	b.PollAt(3, k0, 0, 2, false, 0, "a") // another consumer re-reads from where it asked: fine
	b.Drain(9, k0, 2, 0, "a", 1, "b")
	only(t, b.check(Options{}))
}

func TestReadBelowAskedOffset(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	bad := b.PollAt(1, k0, 1, 2, false, 0, "a", 1, "b")
	res := b.check(Options{})
	only(t, res, NonmonotonicPoll)
	hasOps(t, res, NonmonotonicPoll, bad)
}

func TestProcessReusedAfterInfoIsRejected(t *testing.T) {
	for _, f := range []string{history.FSend, history.FPoll, history.FCommit} {
		b := newBuilder(t)
		b.SendInvoke(0, k0, "a")
		b.SendEnd(0, history.Info)
		if f == history.FSend {
			b.SendInvoke(0, k0, "b")
		} else {
			b.Line(0, history.Invoke, f, map[string]any{"keys": []string{k0}})
		}
		_, err := Check(t.Context(), stringsReader(b.Text()), Options{})
		var le *history.LineError
		if !asLineError(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "after its operation ended info (op 1)") {
			t.Errorf("%s after info: want a line 3 error, got %v", f, err)
		}
	}
	// The near miss: a fail is definite, so the process may go on.
	b := newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.SendEnd(0, history.Fail)
	b.Send(0, k0, "b", 0)
	b.Poll(1, r(k0, 0, "b"))
	only(t, b.check(Options{}))
}

func TestCausesGroupADamagedRange(t *testing.T) {
	// Offsets 1..3 were truncated and rewritten by other sends; offset 5's write was lost
	// separately, with intact offset 4 between: two causes.
	b := newBuilder(t)
	b.Send(0, k0, "a0", 0)
	for i, v := range []string{"a1", "a2", "a3"} {
		b.Send(0, k0, v, int64(i+1))
	}
	for i, v := range []string{"b1", "b2", "b3"} {
		b.Send(1, k0, v, int64(i+1))
	}
	b.Send(1, k0, "a4", 4)
	b.Send(2, k0, "a5", 5)
	b.Send(2, k0, "b5", 5)
	b.Drain(9, k0, 6, 0, "a0", 1, "b1", 2, "b2", 3, "b3", 4, "a4", 5, "b5")
	res := b.check(Options{})
	only(t, res, LostWrite, InconsistentOffsets, NonmonotonicSend)
	if len(res.Anomalies[LostWrite]) != 4 {
		t.Fatalf("lost %s", dump(res))
	}
	var ranges [][]int64
	for _, c := range res.Causes {
		if c.Counts[LostWrite] > 0 {
			ranges = append(ranges, c.Offsets)
		}
	}
	if len(ranges) != 2 || ranges[0][0] != 1 || ranges[0][1] != 3 || ranges[1][0] != 5 {
		t.Errorf("causes %+v; want offsets 1-3 then 5", res.Causes)
	}
}

func TestOldHistoryWarnsWhatIsNotJudged(t *testing.T) {
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Poll(1, r(k0, 0, "a"))
	res := b.check(Options{})
	only(t, res)
	if len(res.Warnings) != 3 {
		t.Errorf("want warnings for drain, from and hw, got %v", res.Warnings)
	}
}

func TestNonlinearizableAcrossProcesses(t *testing.T) {
	// What only the model sees: two processes' acknowledged sends in the wrong real-time order.
	b := newBuilder(t)
	b.Send(0, k0, "a", 1)
	b.Send(1, k0, "b", 0)
	b.Drain(9, k0, 2, 0, "b", 1, "a")
	res := b.check(Options{})
	only(t, res, Nonlinearizable)
}

func TestDrainMustCoverEveryOffset(t *testing.T) {
	// The drain asked for 0 and then for 2: offset 1 was never asked for, so b there is
	// unknown, not lost; and a write whose offset fell in the hole is not confirmed by a copy.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	b.PollAt(9, k0, 0, 3, true, 0, "a")
	b.PollAt(9, k0, 2, 3, true, 2, "c")
	b.PollAt(9, k0, 3, 3, true)
	res := b.check(Options{})
	if res.Valid != Unknown || len(res.Anomalies) != 0 || !strings.Contains(strings.Join(res.Incomplete, ""), "not covered") {
		t.Errorf("verdict %s, incomplete %v, anomalies %s; want unknown", res.Valid, res.Incomplete, dump(res))
	}
}

func TestDrainWhoseWatermarkFellIsUnknown(t *testing.T) {
	// A first pass read a, b, c; the log then shrank to a alone and the drain confirmed that
	// end. What the first pass saw is not the final log: the verdict cannot be valid.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(0, k0, "b", 1)
	b.Send(0, k0, "c", 2)
	b.PollAt(9, k0, 0, 3, true, 0, "a", 1, "b", 2, "c")
	b.Line(9, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k0}, From: map[string]int64{k0: 3}, Drain: true})
	b.Line(9, history.Fail, history.FPoll, nil)
	b.PollAt(9, k0, 0, 1, true, 0, "a")
	b.PollAt(9, k0, 1, 1, true)
	res := b.check(Options{})
	if res.Valid != Unknown || !strings.Contains(strings.Join(res.Incomplete, ""), "fell from 3 to 1") {
		t.Errorf("verdict %s, incomplete %v, anomalies %s; want unknown", res.Valid, res.Incomplete, dump(res))
	}
}

func TestHistoryCutBeforeItsDrainIsUnknown(t *testing.T) {
	// Polls with from and hw come from a run that drains at its end; without the drain the
	// run stopped early, and its writes cannot be judged against a final log.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.PollAt(1, k0, 0, 1, false, 0, "a")
	res := b.check(Options{})
	if res.Valid != Unknown || !strings.Contains(strings.Join(res.Incomplete, ""), "ended before its drain") {
		t.Errorf("verdict %s, incomplete %v; want unknown", res.Valid, res.Incomplete)
	}
}

func TestHistoryWithoutSendsOrPollsIsUnknown(t *testing.T) {
	b := newBuilder(t)
	b.Line(0, history.Invoke, history.FCrash, map[string]string{"reason": "crash-client"})
	b.Line(0, history.Info, history.FCrash, map[string]string{"reason": "crash-client"})
	b.Line(1, history.Invoke, history.FCoordinator, map[string]string{"group": "g"})
	b.Line(1, history.Fail, history.FCoordinator, map[string]string{"group": "g"})
	if res := b.check(Options{}); res.Valid != Unknown {
		t.Errorf("verdict %s; want unknown", res.Valid)
	}
}

func TestTruncationIsNotAlsoNonlinearizable(t *testing.T) {
	// x is acknowledged at 2; the log is truncated to 1, and y (invoked after x returned) is
	// acknowledged at 1 by the new leader. x is lost, offset 2 holds z: one cause, and the
	// order of y after x is not reported again as nonlinearizable.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.Send(1, k0, "w", 1)
	b.Send(2, k0, "x", 2)
	b.Send(3, k0, "y", 1)
	b.Send(4, k0, "z", 2)
	b.Drain(9, k0, 3, 0, "a", 1, "y", 2, "z")
	res := b.check(Options{})
	only(t, res, LostWrite, InconsistentOffsets)
	if len(res.Causes) != 1 {
		t.Errorf("causes %+v; want one", res.Causes)
	}
}

func TestPollOfATruncatedLogIsNotNonlinearizable(t *testing.T) {
	// A consumer read v at offset 1 from a leader that then lost it; z, invoked after that
	// poll, took offset 1 on the new leader. The poll saw a log that did not survive: lost-write
	// and inconsistent-offsets say so, and the model does not blame z's invocation time for it.
	b := newBuilder(t)
	b.Send(0, k0, "a", 0)
	b.SendInvoke(1, k0, "v")
	b.PollAt(2, k0, 0, 2, false, 0, "a", 1, "v") // while v's send is in flight
	b.SendOK(1, k0, "v", 1)
	b.Send(3, k0, "z", 1)
	b.Drain(9, k0, 2, 0, "a", 1, "z")
	res := b.check(Options{})
	only(t, res, LostWrite, InconsistentOffsets)
}

func TestCrossProcessViolationBehindASameProcessOne(t *testing.T) {
	// Q's x is acknowledged at 2 before P's a (offset 0) is invoked: a real-time violation across
	// processes. Q's own y, invoked later still and acknowledged at 1, is nonmonotonic-send; it
	// must not hide the first.
	b := newBuilder(t)
	b.Send(1, k0, "x", 2)
	b.Send(0, k0, "a", 0)
	b.Send(1, k0, "y", 1)
	b.Drain(9, k0, 3, 0, "a", 1, "y", 2, "x")
	res := b.check(Options{})
	only(t, res, NonmonotonicSend, Nonlinearizable)
	// The near miss: P's send overlaps Q's x, so only Q's own disorder is left.
	b = newBuilder(t)
	b.SendInvoke(0, k0, "a")
	b.Send(1, k0, "x", 2)
	b.SendOK(0, k0, "a", 0)
	b.Send(1, k0, "y", 1)
	b.Drain(9, k0, 3, 0, "a", 1, "y", 2, "x")
	only(t, b.check(Options{}), NonmonotonicSend)
}
