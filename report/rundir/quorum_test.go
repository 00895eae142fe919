package rundir

import (
	"reflect"
	"testing"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// A stale leader's claim (an epoch below one already claimed) and a relayed answer name no
// leader in office; a leader that answers again after an unreachable spell resumes its term.
func TestQuorumSpansNearMisses(t *testing.T) {
	sec := func(s float64) int64 { return int64(s * 1e9) }
	// answer is node's DescribeQuorum answer at second at, naming leader at epoch.
	answer := func(at float64, node, leader, epoch int) electionlog.Event {
		return electionlog.Event{Time: sec(at), Kind: electionlog.KindQuorum, Source: electionlog.SourceQuorum, Broker: node,
			Leader: electionlog.Int(leader), LeaderEpoch: electionlog.Int(epoch)}
	}
	unreachable := func(at float64, node int, err string) electionlog.Event {
		return electionlog.Event{Time: sec(at), Kind: electionlog.KindUnreachable, Source: electionlog.SourceQuorum, Broker: node, Error: err}
	}
	events := []electionlog.Event{
		answer(1, 101, 101, 1),
		answer(2, 102, 102, 2),
		answer(3, 103, 102, 2), // ctl3 names ctl2: no claim
		answer(4, 101, 101, 1), // ctl1 still claims epoch 1: stale, not in office
		unreachable(5, 102, "timeout"),
		unreachable(6, 102, ""), // ctl2 answers again, unchanged
	}
	want := []QuorumSpan{{sec(1), 101, 1}, {sec(2), 102, 2}, {sec(5), -1, 2}, {sec(6), 102, 2}}
	if got := QuorumSpans(events); !reflect.DeepEqual(got, want) {
		t.Errorf("spans\n got %+v\nwant %+v", got, want)
	}
}
