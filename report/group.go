package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/history"
)

// groupEvent is a consumer-group change from the history: a member's completed rebalance, or
// a coordinator look-up that found a different broker than the one before.
type groupEvent struct {
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
func (s *historyScan) group(op history.Op) bool {
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
		s.rebalances = append(s.rebalances, groupEvent{Time: op.Time, Member: v.Member, Generation: v.Generation, Leader: v.Leader, Partitions: v.Partitions})
	case op.F == history.FCoordinator && v.Broker != nil:
		if n := len(s.coordinators); n == 0 || s.coordinators[n-1].Broker != *v.Broker {
			s.coordinators = append(s.coordinators, groupEvent{Time: op.Time, Broker: *v.Broker})
		}
	}
	return true
}

// groupRow draws the consumer group under the partitions: the coordinator's broker over time
// (coloured like partition leaders) and a tick at each member's rebalance.
func groupRow(p *svgPlot, s *historyScan, ax timeAxis, y float64, end int64) {
	p.Texts = append(p.Texts, svgText{X: plotLeft - 6, Y: y + 12, Text: "group", Class: "rowlabel"})
	for i, c := range s.coordinators {
		until := end
		if i+1 < len(s.coordinators) {
			until = s.coordinators[i+1].Time
		}
		x1, x2 := ax.x(c.Time), ax.x(until)
		w := round1(max(x2-x1, 0.5))
		title := fmt.Sprintf("group coordinator: %s from %.2fs to %.2fs", brokerName(c.Broker), secondsOf(c.Time), secondsOf(until))
		p.Rects = append(p.Rects, svgRect{X: x1, Y: y, W: w, H: 14, Class: leaderClass(c.Broker), Title: title})
		if w >= 14 {
			p.Texts = append(p.Texts, svgText{X: x1 + 3, Y: y + 11, Text: strconv.Itoa(c.Broker), Class: "ldrlabel"})
		}
	}
	for _, rb := range s.rebalances {
		x := ax.x(rb.Time)
		role := "member"
		if rb.Leader {
			role = "leader"
		}
		p.Lines = append(p.Lines, svgLine{X1: x, Y1: y - 2, X2: x, Y2: y + 20, Class: "rebal",
			Title: fmt.Sprintf("rebalance at %.2fs: generation %d, %s %s assigned %s", secondsOf(rb.Time), rb.Generation, role, rb.Member, strings.Join(rb.Partitions, ","))})
	}
}
