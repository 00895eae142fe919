package report

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

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
		for _, s := range rundir.QuorumSpans(events) {
			row := controllerRow{Time: fmt.Sprintf("%.3f", rundir.Seconds(s.Time)), Controller: rundir.NodeName(s.Leader), Epoch: fmt.Sprint(s.Epoch)}
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
		row := controllerRow{Time: fmt.Sprintf("%.3f", rundir.Seconds(e.Time)), Controller: rundir.BrokerName(*e.Controller), Epoch: "–", Note: "/controller"}
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
