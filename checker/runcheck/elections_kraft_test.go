package runcheck

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// view is broker's metadata view of partition t-0 at time at (in seconds).
func view(at float64, broker, leader, epoch int, isr ...int) electionlog.Event {
	return electionlog.Event{Time: int64(at * float64(sec)), Kind: electionlog.KindPartition, Source: electionlog.SourceMetadata,
		Broker: broker, Topic: "t", Partition: electionlog.Int(0), Leader: electionlog.Int(leader),
		LeaderEpoch: electionlog.Int(epoch), ISR: isr}
}

func withELR(e electionlog.Event, elr ...int) electionlog.Event { e.ELR = elr; return e }

func withLastKnownELR(e electionlog.Event, ids ...int) electionlog.Event {
	e.LastKnownELR = ids
	return e
}

func withHW(e electionlog.Event, hw int64) electionlog.Event {
	e.HighWatermark = electionlog.Int64(hw)
	return e
}

func TestKRaftLeaderEpochGoesBackInOneView(t *testing.T) {
	kraft := ElectionOptions{KRaft: true}
	events := []electionlog.Event{view(1, 2, 1, 5, 1, 2, 3), view(2, 2, 3, 4, 2, 3)}
	a := wantOne(t, CheckElections(events, kraft), checker.LeaderEpochRegression)
	if a.Key != "t-0" || !strings.Contains(a.Explanation, "broker 2") {
		t.Errorf("anomaly: %+v", a)
	}
	// Near miss: a lagging view shows an older epoch after another view showed a newer one.
	wantNone(t, CheckElections([]electionlog.Event{
		view(1, 2, 1, 5, 1, 2, 3), view(2, 3, 2, 4, 2, 3), view(3, 3, 1, 5, 1, 2, 3),
	}, kraft))
	// ZooKeeper mode keeps its ZooKeeper-only rule: brokers' views are not judged there.
	wantNone(t, CheckElections(events, ElectionOptions{}))
	// A log with quorum lines is a KRaft log, whatever the options say.
	withQuorum := append([]electionlog.Event{quorum(0, 101, 101, 1)}, events...)
	wantOne(t, CheckElections(withQuorum, ElectionOptions{}), checker.LeaderEpochRegression)
}

func TestKRaftLeaderFromOutsideISR(t *testing.T) {
	kraft := ElectionOptions{KRaft: true}
	runElectionCases(t, []electionCase{
		{"leader from outside the ISR", []electionlog.Event{view(1, 2, 1, 5, 1), view(10, 2, 3, 6, 3)}, kraft, true},
		{"the new leader was seen leaving the ISR earlier in the epoch", []electionlog.Event{
			view(1, 2, 1, 5, 1, 2, 3), view(2, 3, 1, 5, 1, 2, 3), view(4, 2, 1, 5, 1), view(20, 2, 3, 6, 3),
		}, kraft, true},
		{"near miss: a clean election from the ISR", []electionlog.Event{view(1, 2, 1, 5, 1, 3), view(10, 2, 3, 6, 3)}, kraft, false},
		{"near miss: the epoch jumped, an election was missed", []electionlog.Event{view(1, 2, 1, 5, 1), view(10, 2, 3, 7, 3)}, kraft, false},
		{"near miss: the new ISR is not the leader alone, so it may have grown unseen", []electionlog.Event{
			view(1, 2, 1, 5, 1, 2), view(10, 2, 3, 6, 2, 3),
		}, kraft, false},
		{"near miss: another view saw the new leader rejoin the ISR after this view's last look", []electionlog.Event{
			view(1, 2, 1, 5, 1), view(1, 3, 1, 5, 1), view(5, 3, 1, 5, 1, 3), view(10, 2, 3, 6, 3),
		}, kraft, false},
		{"near miss: another view's first look, after this view's last, has the new leader in the ISR", []electionlog.Event{
			view(1, 2, 1, 5, 1), view(5, 3, 1, 5, 1, 3), view(10, 2, 3, 6, 3),
		}, kraft, false},
		{"near miss: a view ahead of this one saw the new leader rejoin before this view's last look", []electionlog.Event{
			view(0.2, 4, 1, 5, 1), view(0.5, 4, 1, 5, 1, 3), view(1, 2, 1, 5, 1), view(10, 2, 3, 6, 3),
		}, kraft, false},
		{"a view showing the old ISR before this view's last look does not excuse it", []electionlog.Event{
			view(0.5, 4, 1, 5, 1, 3), view(1, 2, 1, 5, 1), view(10, 2, 3, 6, 3),
		}, kraft, true},
		{"near miss: a leader from the ELR with the ISR empty", []electionlog.Event{
			withELR(view(1, 2, -1, 5), 3), view(10, 2, 3, 6, 3),
		}, kraft, false},
	}, checker.UncleanElection, func(t *testing.T, a checker.Anomaly) {
		if !strings.Contains(a.Explanation, "broker 3 became leader") || strings.Contains(a.Explanation, "expected") {
			t.Errorf("explanation: %s", a.Explanation)
		}
	})
}

func TestKRaftLastKnownLeaderIsUncleanAndExpectedWhenEnabled(t *testing.T) {
	// KIP-966: ISR and ELR empty, the last known leader comes back and Kafka elects it, marked unclean.
	events := []electionlog.Event{withLastKnownELR(view(1, 2, -1, 5), 3), view(10, 2, 3, 6, 3)}
	a := wantOne(t, CheckElections(events, ElectionOptions{KRaft: true, ELREnabled: true, MinISR: 2}), checker.UncleanElection)
	if !strings.Contains(a.Explanation, "last known ELR") {
		t.Errorf("explanation: %s", a.Explanation)
	}
	a = wantOne(t, CheckElections(events, ElectionOptions{KRaft: true, UncleanEnabled: true}), checker.UncleanElection)
	if !strings.Contains(a.Explanation, "expected") {
		t.Errorf("with unclean election enabled: %s", a.Explanation)
	}
}

func TestHighWatermarkBelowMinISR(t *testing.T) {
	elr := ElectionOptions{KRaft: true, ELREnabled: true, MinISR: 2}
	leader := func(at float64, hw int64, isr ...int) electionlog.Event { return withHW(view(at, 1, 1, 5, isr...), hw) }
	runElectionCases(t, []electionCase{
		{"the high watermark rose with the ISR at the leader alone", []electionlog.Event{leader(1, 100, 1), leader(2, 120, 1)}, elr, true},
		{"the rise is long before the ISR grows back", []electionlog.Event{leader(1, 100, 1), leader(2, 120, 1), leader(5, 120, 1, 2)}, elr, true},
		{"near miss: the ISR reached min.insync.replicas", []electionlog.Event{leader(1, 100, 1), leader(2, 120, 1, 2)}, elr, false},
		{"near miss: ELR is off", []electionlog.Event{leader(1, 100, 1), leader(2, 120, 1)}, ElectionOptions{KRaft: true, MinISR: 2}, false},
		{"near miss: a new leader epoch", []electionlog.Event{leader(1, 100, 1), withHW(view(2, 1, 1, 6, 1), 120)}, elr, false},
		{"near miss: the high watermark went down (a new leader's may)", []electionlog.Event{leader(1, 120, 1), leader(2, 100, 1)}, elr, false},
		{"near miss: the view was unreachable in between", []electionlog.Event{
			leader(1, 100, 1), unreachable(1.5, electionlog.SourceMetadata, 1, "timeout"),
			unreachable(3, electionlog.SourceMetadata, 1, ""), leader(3, 120, 1),
		}, elr, false},
		{"near miss: the ISR grew within the observer's slack after the rise", []electionlog.Event{
			leader(1, 100, 1), leader(2, 120, 1), leader(2.5, 120, 1, 2),
		}, elr, false},
		{"near miss: a follower's view records no high watermark", []electionlog.Event{
			view(1, 2, 1, 5, 1), view(2, 2, 1, 5, 1),
		}, elr, false},
	}, checker.HWAdvancedBelowMinISR, func(t *testing.T, a checker.Anomaly) {
		if a.Key != "t-0" || !strings.Contains(a.Explanation, "from 100 to 120") {
			t.Errorf("anomaly: %+v", a)
		}
	})
}
