package runcheck

import (
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

func ctl(t int64, id, epoch int) electionlog.Event {
	return electionlog.Event{Time: t, Kind: electionlog.KindController, Source: electionlog.SourceZooKeeper,
		Controller: electionlog.Int(id), ControllerEpoch: electionlog.Int(epoch)}
}

func part(t int64, leader, epoch int, isr ...int) electionlog.Event {
	return electionlog.Event{Time: t, Kind: electionlog.KindPartition, Source: electionlog.SourceZooKeeper,
		Topic: "t", Partition: electionlog.Int(0), Leader: electionlog.Int(leader),
		LeaderEpoch: electionlog.Int(epoch), ISR: isr}
}

func types(as []checker.Anomaly) []string {
	var out []string
	for _, a := range as {
		out = append(out, string(a.Type))
	}
	return out
}

func TestElectionsCleanHistoryHasNoAnomalies(t *testing.T) {
	events := []electionlog.Event{
		ctl(1, 1, 1), part(2, 1, 0, 1, 2, 3),
		ctl(3, -1, 1), // controller died: no /controller for a while
		part(4, 1, 0, 1, 2), ctl(5, 2, 2),
		part(6, 2, 1, 2), // leader 1 died; 2 was in the ISR
		part(7, -1, 2, 2), part(8, 2, 3, 2),
		// a metadata event with a stale view is not authoritative
		{Time: 9, Kind: electionlog.KindPartition, Source: electionlog.SourceMetadata, Broker: 3, Topic: "t",
			Partition: electionlog.Int(0), Leader: electionlog.Int(3)},
	}
	if got := CheckElections(events, ElectionOptions{}); len(got) != 0 {
		t.Fatalf("anomalies in a clean log: %+v", got)
	}
}

func TestElectionsReportsEachInvariant(t *testing.T) {
	cases := []struct {
		name   string
		events []electionlog.Event
		want   checker.AnomalyType
	}{
		{"two controllers in one epoch", []electionlog.Event{ctl(1, 1, 4), ctl(2, 2, 4)}, checker.MultipleControllers},
		{"controller epoch goes back", []electionlog.Event{ctl(1, 1, 5), ctl(2, 2, 4)}, checker.ControllerEpochRegression},
		{"leader epoch goes back", []electionlog.Event{part(1, 1, 5, 1, 2), part(2, 2, 4, 2)}, checker.LeaderEpochRegression},
		{"leader from outside the ISR", []electionlog.Event{part(1, 1, 5, 1), part(2, 3, 6, 3)}, checker.UncleanElection},
		{"leader marked recovering", []electionlog.Event{part(1, 1, 5, 1, 2), func() electionlog.Event {
			e := part(2, 2, 7, 2) // epoch jumped: not judged by ISR, but Kafka's mark counts
			e.LeaderRecovery = 1
			return e
		}()}, checker.UncleanElection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckElections(tc.events, ElectionOptions{})
			if len(got) != 1 || got[0].Type != tc.want {
				t.Fatalf("got %v, want one %s", types(got), tc.want)
			}
			if len(got[0].Events) == 0 || got[0].Explanation == "" {
				t.Errorf("anomaly lacks events or explanation: %+v", got[0])
			}
		})
	}
}

func TestElectionsDoNotJudgeUnobservedISR(t *testing.T) {
	// The leader epoch jumped by two: the ISR the leader came from was never observed.
	events := []electionlog.Event{part(1, 1, 5, 1), part(2, 3, 7, 3)}
	if got := CheckElections(events, ElectionOptions{}); len(got) != 0 {
		t.Fatalf("judged an election whose ISR was not observed: %v", types(got))
	}
}

func TestUncleanElectionAllowedWhenEnabled(t *testing.T) {
	events := []electionlog.Event{part(1, 1, 5, 1), part(2, 3, 6, 3)}
	got := CheckElections(events, ElectionOptions{UncleanEnabled: true})
	if len(got) != 1 || !strings.Contains(got[0].Explanation, "expected") {
		t.Fatalf("got %+v", got)
	}
	r := &checker.Result{}
	r.AddAnomalies(got, map[checker.AnomalyType]bool{checker.UncleanElection: true})
	if r.Valid != checker.Valid || len(r.Allowed) != 1 {
		t.Errorf("allowed unclean election: valid=%v allowed=%v", r.Valid, r.Allowed)
	}
	r = &checker.Result{}
	r.AddAnomalies(got, nil)
	if r.Valid != checker.Invalid {
		t.Errorf("unclean election with unclean disabled: valid=%v, want invalid", r.Valid)
	}
}

func TestElectionsJudgeOnlyObservedPredecessors(t *testing.T) {
	withVersion := func(e electionlog.Event, v int) electionlog.Event { e.ZkVersion = electionlog.Int(v); return e }
	// A follower rejoined the ISR (version 5) and was elected (version 6) between two polls:
	// the leader epoch rose by one, but the ISR it was chosen from was never seen.
	missed := []electionlog.Event{withVersion(part(1, 3, 2, 1, 3), 4), withVersion(part(2, 2, 3, 1, 2), 6)}
	if got := CheckElections(missed, ElectionOptions{}); len(got) != 0 {
		t.Errorf("judged an election whose preceding state was missed: %v", types(got))
	}
	seen := []electionlog.Event{withVersion(part(1, 3, 2, 1, 3), 4), withVersion(part(2, 2, 3, 2), 5)}
	if got := CheckElections(seen, ElectionOptions{}); len(got) != 1 || got[0].Type != checker.UncleanElection {
		t.Errorf("an observed out-of-ISR election: got %v, want one unclean-election", types(got))
	}
}
