package rundir

import (
	"encoding/json"

	"github.com/kafkaesque/kafkaesque/history"
)

// GroupEvent is a consumer-group change from the history: a member's completed rebalance, or
// a coordinator look-up that found a different broker than the one before.
type GroupEvent struct {
	Time       int64
	Member     string
	Generation int
	Leader     bool
	Partitions []string
	Broker     int // coordinator events only
}

// groupValue is the part of the group ops' values the report shows.
type groupValue struct {
	Member     string   `json:"member"`
	Generation int      `json:"generation"`
	Leader     bool     `json:"leader"`
	Partitions []string `json:"partitions"`
	Broker     *int     `json:"broker"`
}

// group files an ok rebalance or coordinator op; it reports whether op was one.
func (s *HistoryScan) group(op history.Op) bool {
	switch op.F {
	case history.FRebalance, history.FCoordinator, history.FCommit:
	default:
		return false
	}
	if op.Type != history.OK {
		return true
	}
	var v groupValue
	_ = json.Unmarshal(op.Value, &v) // free-form for the report: what is missing stays empty
	switch {
	case op.F == history.FRebalance:
		s.Rebalances = append(s.Rebalances, GroupEvent{Time: op.Time, Member: v.Member, Generation: v.Generation, Leader: v.Leader, Partitions: v.Partitions})
	case op.F == history.FCoordinator && v.Broker != nil:
		if n := len(s.Coordinators); n == 0 || s.Coordinators[n-1].Broker != *v.Broker {
			s.Coordinators = append(s.Coordinators, GroupEvent{Time: op.Time, Broker: *v.Broker})
		}
	}
	return true
}
