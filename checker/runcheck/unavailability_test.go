package runcheck

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

func TestMeasureUnavailability(t *testing.T) {
	const s = int64(1e9)
	hist := strings.Join([]string{
		`{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":{"key":"t-0","value":"a"}}`,
		`{"index":1,"time":100,"process":0,"type":"ok","f":"send","value":{"key":"t-0","value":"a","offset":0}}`,
		`{"index":2,"time":` + itoa(10*s) + `,"process":-1,"type":"invoke","f":"kill-leader","value":{"fault":"kill-leader"}}`,
		`{"index":3,"time":` + itoa(10*s+5) + `,"process":-1,"type":"info","f":"kill-leader","value":{"fault":"kill-leader","nodes":["kafka1"],"partition":"t-0"}}`,
		`{"index":4,"time":` + itoa(11*s) + `,"process":1,"type":"invoke","f":"send","value":{"key":"t-0","value":"b"}}`,
		`{"index":5,"time":` + itoa(13*s) + `,"process":1,"type":"info","f":"send","value":{"key":"t-0","value":"b"},"error":"timeout"}`,
		`{"index":6,"time":` + itoa(14*s) + `,"process":2,"type":"invoke","f":"send","value":{"key":"t-0","value":"c"}}`,
		`{"index":7,"time":` + itoa(17*s) + `,"process":2,"type":"ok","f":"send","value":{"key":"t-0","value":"c","offset":1}}`,
		`{"index":8,"time":` + itoa(20*s) + `,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-leader"}}`,
		`{"index":9,"time":` + itoa(21*s) + `,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-leader","nodes":["kafka1"]}}`,
	}, "\n") + "\n"
	events := []electionlog.Event{
		ctl(0, 1, 1), part(0, 1, 0, 1, 2, 3),
		part(16*s, 2, 1, 2, 3), ctl(16*s, 2, 2),
	}
	faults, err := MeasureUnavailability(strings.NewReader(hist), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 {
		t.Fatalf("faults = %+v", faults)
	}
	f := faults[0]
	if f.Fault != "kill-leader" || f.Key != "t-0" || f.InvokeOp != 2 || f.Recovered == nil || *f.Recovered != 21*s {
		t.Errorf("fault = %+v", f)
	}
	if f.NewLeaderAfter == nil || *f.NewLeaderAfter != 6 {
		t.Errorf("new leader after %v, want 6 s", deref(f.NewLeaderAfter))
	}
	if f.NewControllerAfter == nil || *f.NewControllerAfter != 6 {
		t.Errorf("new controller after %v, want 6 s (the killed leader was also the controller)", deref(f.NewControllerAfter))
	}
	if f.SendsOKAfter == nil || *f.SendsOKAfter != 7 {
		t.Errorf("sends ok after %v, want 7 s (the info send does not count)", deref(f.SendsOKAfter))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestMeasureCoordinatorMove(t *testing.T) {
	const s = int64(1e9)
	hist := strings.Join([]string{
		`{"index":0,"time":0,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":1,"time":10,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":3}}`,
		`{"index":2,"time":` + itoa(5*s) + `,"process":-1,"type":"invoke","f":"kill-coordinator","value":{"fault":"kill-coordinator"}}`,
		`{"index":3,"time":` + itoa(5*s+9) + `,"process":-1,"type":"info","f":"kill-coordinator","value":{"fault":"kill-coordinator","nodes":["kafka3"],"group":"g"}}`,
		// Still the dead broker: the coordinator has not moved yet.
		`{"index":4,"time":` + itoa(6*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":5,"time":` + itoa(6*s+1) + `,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":3}}`,
		// A group-leader crash names the group but no broker: it has no coordinator to move.
		`{"index":6,"time":` + itoa(7*s) + `,"process":-1,"type":"invoke","f":"kill-group-leader","value":{"fault":"kill-group-leader"}}`,
		`{"index":7,"time":` + itoa(7*s+5) + `,"process":-1,"type":"info","f":"kill-group-leader","value":{"fault":"kill-group-leader","group":"g","member":"m1"}}`,
		`{"index":8,"time":` + itoa(12*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"group":"g"}}`,
		`{"index":9,"time":` + itoa(13*s) + `,"process":2,"type":"ok","f":"coordinator","value":{"group":"g","broker":1}}`,
	}, "\n") + "\n"
	faults, err := MeasureUnavailability(strings.NewReader(hist), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 2 || faults[0].NewCoordinatorAfter == nil || *faults[0].NewCoordinatorAfter != 8 {
		t.Fatalf("faults = %+v, want the coordinator to move 8 s after the kill", faults)
	}
	if faults[1].NewCoordinatorAfter != nil {
		t.Errorf("kill-group-leader got a coordinator move after %v s", *faults[1].NewCoordinatorAfter)
	}
	if faults[0].NewLeaderAfter != nil {
		t.Errorf("a coordinator fault has no partition, but new leader after %v", *faults[0].NewLeaderAfter)
	}
}

func TestFailedRecoveryIsNotRecovered(t *testing.T) {
	hist := strings.Join([]string{
		`{"index":0,"time":100,"process":-1,"type":"invoke","f":"kill-random","value":{"fault":"kill-random"}}`,
		`{"index":1,"time":200,"process":-1,"type":"info","f":"kill-random","value":{"fault":"kill-random","nodes":["kafka2"]}}`,
		`{"index":2,"time":300,"process":-1,"type":"invoke","f":"recover","value":{"fault":"kill-random","nodes":["kafka2"]}}`,
		`{"index":3,"time":400,"process":-1,"type":"info","f":"recover","value":{"fault":"kill-random","nodes":["kafka2"]},"error":"start kafka2: the JVM exited"}`,
		`{"index":4,"time":500,"process":-1,"type":"invoke","f":"heal-all","value":{}}`,
		`{"index":5,"time":600,"process":-1,"type":"info","f":"heal-all","value":{}}`,
	}, "\n") + "\n"
	faults, err := MeasureUnavailability(strings.NewReader(hist), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 || faults[0].RecoveryError == "" || faults[0].Recovered == nil || *faults[0].Recovered != 600 {
		t.Fatalf("faults = %+v: want the recovery error kept and the fault ended by heal-all at 600", faults)
	}
}

// faultHistory is a history of one fault: injected at 10 s against nodes (aimed at partition
// t-0 when key is set), recovered at 20 s.
func faultHistory(fault string, key bool, nodes ...string) string {
	const s = int64(1e9)
	value := `{"fault":"` + fault + `","nodes":["` + strings.Join(nodes, `","`) + `"]`
	if key {
		value += `,"partition":"t-0"`
	}
	value += "}"
	return strings.Join([]string{
		`{"index":0,"time":` + itoa(10*s) + `,"process":-1,"type":"invoke","f":"` + fault + `","value":{"fault":"` + fault + `"}}`,
		`{"index":1,"time":` + itoa(10*s+5) + `,"process":-1,"type":"info","f":"` + fault + `","value":` + value + `}`,
		`{"index":2,"time":` + itoa(20*s) + `,"process":-1,"type":"invoke","f":"recover","value":{"fault":"` + fault + `"}}`,
		`{"index":3,"time":` + itoa(21*s) + `,"process":-1,"type":"info","f":"recover","value":{"fault":"` + fault + `"}}`,
	}, "\n") + "\n"
}

// follower is node's DescribeQuorum answer as a follower: no leader claimed, no epoch.
func follower(at float64, node int) electionlog.Event {
	e := quorum(at, node, electionlog.NoLeader, 0)
	e.LeaderEpoch = nil
	return e
}

// kraftStart is a KRaft cluster's election log at its start: ctl1 (101) leads quorum epoch 5,
// ctl2 and ctl3 follow; broker 1 leads t-0 at leader epoch 3 in every broker's view.
func kraftStart() []electionlog.Event {
	return []electionlog.Event{
		quorum(0.1, 101, 101, 5), follower(0.1, 102), follower(0.1, 103),
		view(0.2, 1, 1, 3, 1, 2, 3), view(0.2, 2, 1, 3, 1, 2, 3), view(0.3, 3, 1, 3, 1, 2, 3),
	}
}

// In KRaft (no ZooKeeper events) the new controller is the quorum leader a node claims to be at
// a higher epoch, and the new partition leader the first metadata view showing one.
func TestMeasureUnavailabilityKRaft(t *testing.T) {
	cases := []struct {
		name             string
		fault            string
		key              bool
		nodes            []string
		events           []electionlog.Event
		controller, lead any // seconds after the fault, or nil
	}{
		{name: "kill-controller: ctl2 claims epoch 6", fault: "kill-controller", nodes: []string{"ctl1"},
			events: append(kraftStart(),
				unreachable(10.5, electionlog.SourceQuorum, 101, "connection refused"),
				follower(11.0, 103),        // a follower's answer vouches for no leader
				quorum(11.5, 103, 102, 6),  // relayed by ctl3, not ctl2's own claim
				quorum(12.5, 102, 102, 6)), // ctl2's claim
			controller: 2.5},
		{name: "combined: kafka2 voted out for kafka3", fault: "kill-controller", nodes: []string{"kafka2"},
			events: []electionlog.Event{
				quorum(0.1, 2, 2, 7), follower(0.1, 1), follower(0.1, 3),
				quorum(13, 3, 3, 8)},
			controller: 3.0},
		{name: "kill-leader: a lagging view's older leader is not the new one", fault: "kill-leader", key: true, nodes: []string{"kafka1"},
			events: append(kraftStart(),
				view(11, 3, 3, 2, 3),    // broker 3 replays an election older than epoch 3
				view(14, 2, 2, 4, 2, 3), // broker 2 sees itself elected at epoch 4
				view(15, 3, 2, 4, 2, 3)),
			lead: 4.0},
		{name: "kill-leader before any view was seen: who led is unknown, nothing is measured", fault: "kill-leader", key: true, nodes: []string{"kafka1"},
			events: []electionlog.Event{view(10.1, 2, 1, 0, 1, 2, 3), view(15, 2, 2, 1, 2, 3)},
			lead:   nil},
		{name: "a fault not aimed at the controller measures none", fault: "kill-leader", key: true, nodes: []string{"kafka1"},
			events: append(kraftStart(), quorum(12, 102, 102, 6), view(13, 2, 2, 4, 2, 3)),
			lead:   3.0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			faults, err := MeasureUnavailability(strings.NewReader(faultHistory(tc.fault, tc.key, tc.nodes...)), tc.events)
			if err != nil {
				t.Fatal(err)
			}
			if len(faults) != 1 {
				t.Fatalf("faults = %+v", faults)
			}
			f := faults[0]
			if got := deref(f.NewControllerAfter); got != tc.controller {
				t.Errorf("new controller after %v, want %v", got, tc.controller)
			}
			if got := deref(f.NewLeaderAfter); got != tc.lead {
				t.Errorf("new leader after %v, want %v", got, tc.lead)
			}
		})
	}
}

// Near misses: nothing here is a new controller.
func TestMeasureUnavailabilityKRaftNoNewController(t *testing.T) {
	cases := []struct {
		name   string
		nodes  []string
		events []electionlog.Event
	}{
		{"followers' answers after the kill", []string{"ctl1"}, append(kraftStart(),
			follower(11, 102), follower(11, 103))},
		{"the killed leader re-elected", []string{"ctl1"}, append(kraftStart(),
			follower(11, 102), quorum(14, 101, 101, 6))},
		{"a claim at an epoch not above the one in office", []string{"ctl1"}, append(kraftStart(),
			quorum(12, 102, 102, 5), quorum(12, 103, 103, 4))},
		{"the fault aimed at a follower", []string{"ctl2"}, append(kraftStart(),
			quorum(12, 103, 103, 6))},
		{"a ZooKeeper node is no Kafka node", []string{"zk1"}, append(kraftStart(),
			quorum(12, 103, 103, 6))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			faults, err := MeasureUnavailability(strings.NewReader(faultHistory("kill-controller", false, tc.nodes...)), tc.events)
			if err != nil {
				t.Fatal(err)
			}
			if len(faults) != 1 || faults[0].NewControllerAfter != nil {
				t.Fatalf("faults = %+v, want one without a new controller", faults)
			}
		})
	}
}

func TestNodeID(t *testing.T) {
	for name, want := range map[string]int{"kafka3": 3, "kafka12": 12, "ctl1": 101, "ctl5": 105} {
		if got, ok := nodeID(name); !ok || got != want {
			t.Errorf("nodeID(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
	for _, name := range []string{"zk1", "ctl", "kafkax", "broker1"} {
		if got, ok := nodeID(name); ok {
			t.Errorf("nodeID(%q) = %d, want no Kafka node", name, got)
		}
	}
}

// A transaction coordinator fault is measured against its transactional id's look-ups only (not
// another id's, not a group's of the same name), and a committed transaction's send ends the
// wait for acknowledged sends.
func TestMeasureTxnCoordinatorMove(t *testing.T) {
	const s = int64(1e9)
	hist := strings.Join([]string{
		`{"index":0,"time":` + itoa(5*s) + `,"process":-1,"type":"invoke","f":"kill-txn-coordinator","value":{"fault":"kill-txn-coordinator"}}`,
		`{"index":1,"time":` + itoa(5*s+9) + `,"process":-1,"type":"info","f":"kill-txn-coordinator","value":{"fault":"kill-txn-coordinator","nodes":["kafka3"],"txn_id":"t-1"}}`,
		// Another transactional id, and a group of the same name, moved: not this fault's.
		`{"index":2,"time":` + itoa(6*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"txn_id":"t-2"}}`,
		`{"index":3,"time":` + itoa(6*s+1) + `,"process":2,"type":"ok","f":"coordinator","value":{"txn_id":"t-2","broker":1}}`,
		`{"index":4,"time":` + itoa(6*s+2) + `,"process":2,"type":"invoke","f":"coordinator","value":{"group":"t-1"}}`,
		`{"index":5,"time":` + itoa(6*s+3) + `,"process":2,"type":"ok","f":"coordinator","value":{"group":"t-1","broker":1}}`,
		// A transaction that aborted acknowledges nothing; the committed one does.
		`{"index":6,"time":` + itoa(7*s) + `,"process":4,"type":"invoke","f":"txn","value":{"mops":[["send","k-0","v1"]]}}`,
		`{"index":7,"time":` + itoa(8*s) + `,"process":4,"type":"fail","f":"txn","value":{"mops":[["send","k-0",[3,"v1"]]]}}`,
		`{"index":8,"time":` + itoa(9*s) + `,"process":4,"type":"invoke","f":"txn","value":{"mops":[["send","k-0","v2"],["poll"]]}}`,
		`{"index":9,"time":` + itoa(11*s) + `,"process":4,"type":"ok","f":"txn","value":{"mops":[["send","k-0",[5,"v2"]],["poll",{}]]}}`,
		`{"index":10,"time":` + itoa(12*s) + `,"process":2,"type":"invoke","f":"coordinator","value":{"txn_id":"t-1"}}`,
		`{"index":11,"time":` + itoa(13*s) + `,"process":2,"type":"ok","f":"coordinator","value":{"txn_id":"t-1","broker":2}}`,
	}, "\n") + "\n"
	faults, err := MeasureUnavailability(strings.NewReader(hist), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(faults) != 1 {
		t.Fatalf("faults = %+v, want one", faults)
	}
	f := faults[0]
	if f.NewCoordinatorAfter == nil || *f.NewCoordinatorAfter != 8 {
		t.Errorf("new coordinator after %v, want 8 s (t-1's look-up naming kafka2)", deref(f.NewCoordinatorAfter))
	}
	if f.SendsOKAfter == nil || *f.SendsOKAfter != 6 {
		t.Errorf("sends ok after %v, want 6 s (the committed transaction, not the aborted one)", deref(f.SendsOKAfter))
	}
}
