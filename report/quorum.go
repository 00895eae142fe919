package report

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// quorumSpan is a stretch of a KRaft run during which the quorum leader in office, the node
// that claimed the highest epoch so far, was Leader at Epoch and still answering as such; Leader
// is NoLeader while no node answered as the leader of that epoch (a killed or paused leader, an
// election under way).
type quorumSpan struct {
	Time   int64
	Leader int
	Epoch  int
}

// quorumSpans reads the quorum leader over time out of the nodes' DescribeQuorum answers. Only a
// node's own claim (its answer naming itself leader, with the epoch) names a leader: a follower
// vouches for none. The claim holds from that answer until the node answers otherwise or stops
// answering, and again when it answers unchanged after an unreachable spell. A claim at an
// epoch below the highest claimed so far (a stale leader) is not the leader in office; the
// checker's stale-quorum-leader reports it. By construction the epochs never fall.
func quorumSpans(events []electionlog.Event) []quorumSpan {
	type claim struct {
		claiming  bool // the node's last answer claimed leadership
		epoch     int
		reachable bool
	}
	claims := map[int]*claim{}
	office := quorumSpan{Leader: electionlog.NoLeader, Epoch: -1}
	var spans []quorumSpan
	for _, e := range events {
		switch {
		case e.Kind == electionlog.KindQuorum:
			c := claims[e.Broker]
			if c == nil {
				c = &claim{}
				claims[e.Broker] = c
			}
			c.reachable = true
			c.claiming = e.Leader != nil && e.LeaderEpoch != nil && *e.Leader == e.Broker
			if c.claiming {
				c.epoch = *e.LeaderEpoch
				if c.epoch > office.Epoch {
					office.Leader, office.Epoch = e.Broker, c.epoch
				}
			}
		case e.Kind == electionlog.KindUnreachable && e.Source == electionlog.SourceQuorum:
			if c := claims[e.Broker]; c != nil {
				c.reachable = e.Error == ""
			}
		default:
			continue
		}
		if office.Epoch < 0 {
			continue // no claim yet
		}
		now := quorumSpan{Time: e.Time, Leader: electionlog.NoLeader, Epoch: office.Epoch}
		if c := claims[office.Leader]; c.claiming && c.reachable && c.epoch == office.Epoch {
			now.Leader = office.Leader
		}
		if n := len(spans); n > 0 && spans[n-1].Leader == now.Leader && spans[n-1].Epoch == now.Epoch {
			continue
		}
		spans = append(spans, now)
	}
	return spans
}

// quorumRowH is the height of the timeline's quorum leader row.
const quorumRowH = 24

// quorumRow draws the quorum leader over time on the timeline's top row, one bar per span
// labelled with the leader's id and epoch, terms in alternating shades so each change shows,
// and marks each new term with a line down through the partitions.
func quorumRow(p *svgPlot, spans []quorumSpan, ax timeAxis, y, bottom float64, end int64) {
	p.Texts = append(p.Texts, svgText{X: plotLeft - 6, Y: y + 12, Text: "quorum leader", Class: "rowlabel"})
	if len(spans) == 0 {
		p.Texts = append(p.Texts, svgText{X: plotLeft + 10, Y: y + 12, Text: "no node answered DescribeQuorum as leader", Class: "note"})
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
		x1, x2 := ax.x(s.Time), ax.x(until)
		w := round1(max(x2-x1, 0.5))
		class := fmt.Sprintf("qterm qterm-%d", term%2)
		title := fmt.Sprintf("quorum leader %s, epoch %d, from %.2fs to %.2fs", nodeName(s.Leader), s.Epoch, secondsOf(s.Time), secondsOf(until))
		label := fmt.Sprintf("%d e%d", s.Leader, s.Epoch)
		if s.Leader < 0 {
			class = leaderClass(s.Leader)
			title = fmt.Sprintf("no node answered as quorum leader of epoch %d (or later) from %.2fs to %.2fs", s.Epoch, secondsOf(s.Time), secondsOf(until))
			label = ""
		}
		p.Rects = append(p.Rects, svgRect{X: x1, Y: y, W: w, H: 14, Class: class, Title: title})
		if label != "" && w >= float64(6*len(label)+4) {
			p.Texts = append(p.Texts, svgText{X: x1 + 3, Y: y + 11, Text: label, Class: "ldrlabel"})
		}
		if newTerm && s.Leader >= 0 {
			p.Lines = append(p.Lines, svgLine{X1: x1, Y1: y, X2: x1, Y2: bottom, Class: "ctl",
				Title: fmt.Sprintf("quorum leader: %s, epoch %d, at %.2fs", nodeName(s.Leader), s.Epoch, secondsOf(s.Time))})
		}
	}
}

// controllerRow is one change of the controller for the page's table.
type controllerRow struct {
	Time, Controller, Epoch, Note string
	None                          bool
}

// controllerRows lists the controller's changes: the quorum leader's spans in KRaft, or
// ZooKeeper's /controller.
func controllerRows(events []electionlog.Event, kraft bool) []controllerRow {
	var out []controllerRow
	if kraft {
		prevEpoch := -1
		for _, s := range quorumSpans(events) {
			row := controllerRow{Time: fmt.Sprintf("%.3f", secondsOf(s.Time)), Controller: nodeName(s.Leader), Epoch: fmt.Sprint(s.Epoch)}
			switch {
			case s.Leader < 0:
				row.Controller, row.None = "none", true
				row.Note = fmt.Sprintf("no node answers as leader of epoch %d", s.Epoch)
			case s.Epoch == prevEpoch:
				row.Note = "answers as leader again (same term)"
			case prevEpoch < 0:
				row.Note = "first leader seen"
			default:
				row.Note = fmt.Sprintf("elected: epoch %d → %d", prevEpoch, s.Epoch)
			}
			prevEpoch = s.Epoch
			out = append(out, row)
		}
		return out
	}
	prev := -2
	for _, e := range events {
		if e.Kind != electionlog.KindController || e.Source != electionlog.SourceZooKeeper || e.Controller == nil || *e.Controller == prev {
			continue
		}
		prev = *e.Controller
		row := controllerRow{Time: fmt.Sprintf("%.3f", secondsOf(e.Time)), Controller: brokerName(*e.Controller), Epoch: "–", Note: "/controller"}
		if e.ControllerEpoch != nil {
			row.Epoch = fmt.Sprint(*e.ControllerEpoch)
		}
		if *e.Controller < 0 {
			row.Controller, row.None, row.Note = "none", true, "/controller absent"
		}
		out = append(out, row)
	}
	return out
}
