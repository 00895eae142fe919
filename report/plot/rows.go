package plot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// quorumRowH is the height of the timeline's quorum leader row.
const quorumRowH = 24

// quorumRow draws the quorum leader over time on the timeline's top row, one bar per span
// labelled with the leader's id and epoch, terms in alternating shades so each change shows,
// and marks each new term with a line down through the partitions.
func quorumRow(p *Plot, spans []rundir.QuorumSpan, ax TimeAxis, y, bottom float64, end int64) {
	p.Texts = append(p.Texts, Text{X: plotLeft - 6, Y: y + 12, Text: "quorum leader", Class: "rowlabel"})
	if len(spans) == 0 {
		p.Texts = append(p.Texts, Text{X: plotLeft + 10, Y: y + 12, Text: "no node answered DescribeQuorum as leader", Class: "note"})
		return
	}
	term := 0
	for i, s := range spans {
		until := end
		if i+1 < len(spans) {
			until = spans[i+1].Time
		}
		newTerm := i == 0 || s.Epoch != spans[i-1].Epoch
		if newTerm && i > 0 {
			term++
		}
		x1, x2 := ax.X(s.Time), ax.X(until)
		w := round1(max(x2-x1, 0.5))
		class := fmt.Sprintf("qterm qterm-%d", term%2)
		title := fmt.Sprintf("quorum leader %s, epoch %d, from %.2fs to %.2fs", rundir.NodeName(s.Leader), s.Epoch, rundir.Seconds(s.Time), rundir.Seconds(until))
		label := fmt.Sprintf("%d e%d", s.Leader, s.Epoch)
		if s.Leader < 0 {
			class = leaderClass(s.Leader)
			title = fmt.Sprintf("no node answered as quorum leader of epoch %d (or later) from %.2fs to %.2fs", s.Epoch, rundir.Seconds(s.Time), rundir.Seconds(until))
			label = ""
		}
		p.Rects = append(p.Rects, Rect{X: x1, Y: y, W: w, H: 14, Class: class, Title: title})
		if label != "" && w >= float64(6*len(label)+4) {
			p.Texts = append(p.Texts, Text{X: x1 + 3, Y: y + 11, Text: label, Class: "ldrlabel"})
		}
		if newTerm && s.Leader >= 0 {
			p.Lines = append(p.Lines, Line{X1: x1, Y1: y, X2: x1, Y2: bottom, Class: "ctl",
				Title: fmt.Sprintf("quorum leader: %s, epoch %d, at %.2fs", rundir.NodeName(s.Leader), s.Epoch, rundir.Seconds(s.Time))})
		}
	}
}

// groupRow draws the consumer group under the partitions: the coordinator's broker over time
// (coloured like partition leaders) and a tick at each member's rebalance.
func groupRow(p *Plot, s *rundir.HistoryScan, ax TimeAxis, y float64, end int64) {
	p.Texts = append(p.Texts, Text{X: plotLeft - 6, Y: y + 12, Text: "group", Class: "rowlabel"})
	coordinatorSpans(p, s.Coordinators, "group coordinator", ax, y, end)
	for _, rb := range s.Rebalances {
		x := ax.X(rb.Time)
		role := "member"
		if rb.Leader {
			role = "leader"
		}
		p.Lines = append(p.Lines, Line{X1: x, Y1: y - 2, X2: x, Y2: y + 20, Class: "rebal",
			Title: fmt.Sprintf("rebalance at %.2fs: generation %d, %s %s assigned %s", rundir.Seconds(rb.Time), rb.Generation, role, rb.Member, strings.Join(rb.Partitions, ","))})
	}
}

// txnCoordinatorRow draws one transactional id's coordinator over time, coloured like partition
// leaders, so a coordinator moved by a fault lines up with the fault's band.
func txnCoordinatorRow(p *Plot, tc rundir.TxnCoordinator, ax TimeAxis, y float64, end int64) {
	label := tc.TxnID
	if i := strings.LastIndexByte(label, '-'); i >= 0 {
		label = "txn " + label[i+1:]
	}
	p.Texts = append(p.Texts, Text{X: plotLeft - 6, Y: y + 12, Text: label, Class: "rowlabel"})
	coordinatorSpans(p, tc.Events, "transaction coordinator of "+tc.TxnID, ax, y, end)
}

// coordinatorSpans draws a coordinator's broker over time on one row, from each change until the
// next (the last until end), coloured like partition leaders and titled what.
func coordinatorSpans(p *Plot, changes []rundir.GroupEvent, what string, ax TimeAxis, y float64, end int64) {
	for i, c := range changes {
		until := end
		if i+1 < len(changes) {
			until = changes[i+1].Time
		}
		x1, x2 := ax.X(c.Time), ax.X(until)
		w := round1(max(x2-x1, 0.5))
		title := fmt.Sprintf("%s: %s from %.2fs to %.2fs", what, rundir.BrokerName(c.Broker), rundir.Seconds(c.Time), rundir.Seconds(until))
		p.Rects = append(p.Rects, Rect{X: x1, Y: y, W: w, H: 14, Class: leaderClass(c.Broker), Title: title})
		if w >= 14 {
			p.Texts = append(p.Texts, Text{X: x1 + 3, Y: y + 11, Text: strconv.Itoa(c.Broker), Class: "ldrlabel"})
		}
	}
}
