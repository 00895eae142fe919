package runcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

const sec = int64(time.Second)

// quorum is node's DescribeQuorum answer at time at (in seconds): leader leads epoch.
func quorum(at float64, node, leader, epoch int) electionlog.Event {
	return electionlog.Event{Time: int64(at * float64(sec)), Kind: electionlog.KindQuorum, Source: electionlog.SourceQuorum,
		Broker: node, Leader: electionlog.Int(leader), LeaderEpoch: electionlog.Int(epoch), Voters: []int{101, 102, 103}}
}

// unreachable says node's view from source stopped (err set) or resumed (err empty) answering.
func unreachable(at float64, source electionlog.Source, node int, err string) electionlog.Event {
	return electionlog.Event{Time: int64(at * float64(sec)), Kind: electionlog.KindUnreachable, Source: source, Broker: node, Error: err}
}

// wantOne fails unless got is exactly one anomaly of type want, with events and an explanation.
func wantOne(t *testing.T, got []checker.Anomaly, want checker.AnomalyType) checker.Anomaly {
	t.Helper()
	if len(got) != 1 || got[0].Type != want {
		t.Fatalf("got %v (%+v), want one %s", types(got), got, want)
	}
	if len(got[0].Events) == 0 || got[0].Explanation == "" {
		t.Errorf("anomaly lacks events or explanation: %+v", got[0])
	}
	return got[0]
}

func wantNone(t *testing.T, got []checker.Anomaly) {
	t.Helper()
	if len(got) != 0 {
		t.Fatalf("got %v, want none: %+v", types(got), got)
	}
}

// electionCase is a synthetic election log and whether it must be flagged.
type electionCase struct {
	name   string
	events []electionlog.Event
	opts   ElectionOptions
	flag   bool
}

// runElectionCases checks each case: a flagged one yields exactly one anomaly of type want,
// which check inspects further; a near miss yields none.
func runElectionCases(t *testing.T, cases []electionCase, want checker.AnomalyType, check func(*testing.T, checker.Anomaly)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckElections(tc.events, tc.opts)
			if !tc.flag {
				wantNone(t, got)
				return
			}
			check(t, wantOne(t, got, want))
		})
	}
}

func TestQuorumTwoLeadersInOneEpoch(t *testing.T) {
	kraft := ElectionOptions{KRaft: true}
	a := wantOne(t, CheckElections([]electionlog.Event{quorum(1, 101, 101, 5), quorum(2, 102, 102, 5)}, kraft), checker.MultipleControllers)
	if !strings.Contains(a.Explanation, "quorum epoch 5") || len(a.Events) != 2 {
		t.Errorf("explanation or events: %+v", a)
	}
	// Near miss: a fail-over. A broker relays the leader's answer, a voter without a leader sits
	// in the epoch, and the next leader takes a higher one.
	wantNone(t, CheckElections([]electionlog.Event{
		quorum(1, 101, 101, 5), quorum(1, 1, 101, 5), quorum(3, 103, -1, 5),
		quorum(4, 102, 102, 6), quorum(4, 1, 102, 6), quorum(5, 101, 102, 6),
	}, kraft))
}

func TestQuorumEpochGoesBackInOneView(t *testing.T) {
	events := []electionlog.Event{quorum(1, 101, 101, 6), quorum(2, 101, 102, 5)}
	a := wantOne(t, CheckElections(events, ElectionOptions{KRaft: true}), checker.ControllerEpochRegression)
	if !strings.Contains(a.Explanation, "node 101") {
		t.Errorf("explanation does not name the view: %s", a.Explanation)
	}
	// Near miss: two views at different epochs at once (one lags), each rising on its own.
	wantNone(t, CheckElections([]electionlog.Event{
		quorum(1, 101, 101, 6), quorum(2, 1, 101, 5), quorum(3, 1, 101, 6),
	}, ElectionOptions{KRaft: true}))
}

func TestStaleQuorumLeader(t *testing.T) {
	kraft := ElectionOptions{KRaft: true} // fetch timeout 2 s: bound 5 s
	runElectionCases(t, []electionCase{
		{"old leader answers as leader 9 s after a higher epoch had a leader", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(3, 102, 102, 6), quorum(12, 101, 102, 6),
		}, kraft, true},
		{"a longer fetch timeout allows the same 9 s", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(3, 102, 102, 6), quorum(12, 101, 102, 6),
		}, ElectionOptions{KRaft: true, QuorumFetchTimeout: 5 * time.Second}, false},
		{"the claim lasts until the log ends", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(3, 102, 102, 6), quorum(10, 102, 102, 6),
		}, kraft, true},
		{"near miss: a normal fail-over, the old leader resigns 1 s after", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(3, 102, 102, 6), quorum(4, 101, 102, 6), quorum(30, 103, 102, 6),
		}, kraft, false},
		{"near miss: a paused leader claims nothing; it steps down as soon as it answers", []electionlog.Event{
			quorum(0, 101, 101, 5), unreachable(1.5, electionlog.SourceQuorum, 101, "timeout"), quorum(3, 102, 102, 6),
			unreachable(20, electionlog.SourceQuorum, 101, ""), quorum(20.3, 101, 102, 6), quorum(30, 103, 102, 6),
		}, kraft, false},
		{"a leader that answers again still claiming its old epoch", []electionlog.Event{
			quorum(0, 101, 101, 5), unreachable(1, electionlog.SourceQuorum, 101, "timeout"), quorum(3, 102, 102, 6),
			unreachable(10, electionlog.SourceQuorum, 101, ""), quorum(17, 101, 102, 6),
		}, kraft, true},
		{"near miss: a broker relaying an old answer is not the leader's own view", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(0, 1, 101, 5), quorum(3, 102, 102, 6), quorum(3.5, 101, 102, 6), quorum(30, 102, 102, 6),
		}, kraft, false},
		{"near miss: the higher epoch has no leader yet", []electionlog.Event{
			quorum(0, 101, 101, 5), quorum(3, 102, -1, 6), quorum(30, 101, 101, 5),
		}, kraft, false},
	}, checker.StaleQuorumLeader, func(t *testing.T, a checker.Anomaly) {
		if !strings.Contains(a.Explanation, "node 101") || !strings.Contains(a.Explanation, "epoch 5") {
			t.Errorf("explanation: %s", a.Explanation)
		}
	})
}

func TestElectionOptionsValidate(t *testing.T) {
	if err := (ElectionOptions{KRaft: true, ELREnabled: true}).Validate(); err == nil || !strings.Contains(err.Error(), "min.insync.replicas") {
		t.Errorf("ELR without min.insync.replicas: %v", err)
	}
	if err := (ElectionOptions{QuorumFetchTimeout: -time.Second}).Validate(); err == nil {
		t.Error("a negative fetch timeout was accepted")
	}
	if err := (ElectionOptions{KRaft: true, ELREnabled: true, MinISR: 2}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	_, err := Check(t.Context(), strings.NewReader(""), Options{WithElections: true, KRaft: true, ELREnabled: true})
	if err == nil || !strings.Contains(err.Error(), "min.insync.replicas") {
		t.Errorf("Check with ELR on and no min.insync.replicas: %v", err)
	}
}
