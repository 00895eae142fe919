package scenarios

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// powerSchedule lets the workload run 10 s before the one power-loss-all of a 25 s fault phase,
// so there are acknowledged writes for it to take, and holds it 8 s.
var powerSchedule = nemesis.ScheduleOptions{HoldMin: 8 * time.Second, HoldMax: 8 * time.Second,
	RestMin: time.Minute, RestMax: time.Minute, Warmup: 10 * time.Second}

// Positive control (issue 12): in the safe configuration, with Kafka's default flush (it never
// fsyncs a partition's log itself), every broker losing power at once loses acknowledged writes:
// they were in the page cache of every replica and on no disk. lazyfs reports the bytes each
// broker dropped.
func TestPowerLossAllLosesAcknowledgedWritesWithDefaultFlush(t *testing.T) {
	faults := []string{"power-loss-all"}
	res := harness.Run(t, spec(safe, faults, 25*time.Second, powerSchedule, 1))
	assertFaultsTookEffect(t, res, faults)
	lossCaught(t, res)
	if n := count(res, checker.LostWrite); n == 0 {
		t.Error("no lost-write: the final log did not prove the writes lost")
	}
	for _, f := range res.Result.Faults {
		if len(f.DataLost) != 3 {
			t.Errorf("%s: data lost recorded for %d nodes, want the 3 brokers: %+v", f.Fault, len(f.DataLost), f.DataLost)
		}
		for _, l := range f.DataLost {
			if l.Bytes == 0 {
				t.Errorf("%s: %s lost no bytes although nothing was fsynced", f.Fault, l.Node)
			}
		}
		if f.LostWritesBefore == nil || *f.LostWritesBefore == 0 {
			t.Errorf("%s: no lost write acknowledged before it (%v)", f.Fault, f.LostWritesBefore)
		}
		t.Logf("%s lost %+v; lost writes acknowledged before it: %v", f.Fault, f.DataLost, *f.LostWritesBefore)
	}
}

// Negative control (issue 12): the same run with log.flush.interval.messages=1 (Kafka fsyncs
// every append before acknowledging it) loses nothing.
func TestPowerLossAllWithFlushEveryMessageLosesNothing(t *testing.T) {
	faults := []string{"power-loss-all"}
	s := spec(safe, faults, 25*time.Second, powerSchedule, 1)
	s.Cluster.BrokerConfig["log.flush.interval.messages"] = "1"
	res := harness.Run(t, s)
	assertFaultsTookEffect(t, res, faults)
	r := res.Result
	if r.Stats.SendsOK < 200 {
		t.Errorf("only %d acknowledged sends: the workload did not run", r.Stats.SendsOK)
	}
	if n := count(res, checker.LostWrite, checker.Unseen); n != 0 {
		t.Errorf("%d lost or unseen acknowledged writes with a flush of every message", n)
	}
	if r.Valid != checker.Valid {
		t.Errorf("verdict %s, want valid; anomalies: %v", r.Valid, anomalyCounts(r))
	}
	for _, f := range r.Faults {
		if len(f.DataLost) != 3 {
			t.Errorf("%s: data lost recorded for %d nodes, want the 3 brokers", f.Fault, len(f.DataLost))
		}
		t.Logf("%s lost %+v", f.Fault, f.DataLost)
	}
	t.Logf("%d sends ok; run dir %s", r.Stats.SendsOK, res.Dir)
}
