package plot

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// Timeline draws one row per partition: leader segments coloured by broker, an ISR strip
// under them (shrunk or empty ISRs stand out), an ELR strip where there is one, and controller
// changes as vertical lines; in KRaft (kraft) the quorum leader gets a row of its own on top.
// brokers are the cluster's broker ids (from config.json); the legend names each of them and any
// other broker the log mentions.
func Timeline(events []electionlog.Event, s *rundir.HistoryScan, kinds map[string]string, brokers []int, kraft bool) Plot {
	const rowH, headH = 24, 16
	timelines := rundir.PartitionTimelines(events)
	keys := slices.Sorted(maps.Keys(timelines))
	rundir.SortPartitionKeys(keys)
	end := s.End
	for _, e := range events {
		end = max(end, e.Time)
	}
	ax := NewTimeAxis(end)
	rows := max(len(keys), 1)
	hasGroup := len(s.Coordinators)+len(s.Rebalances) > 0
	if hasGroup {
		rows = len(keys) + 1 // the consumer group's row, under the partitions
	}
	rows += len(s.TxnCoordinators) // a row per transactional id, at the bottom
	// In KRaft the controller is the quorum's leader: a row of its own above the partitions.
	quorumH := 0
	if kraft {
		quorumH = quorumRowH
	}
	hasELR := false
	for _, states := range timelines {
		for _, st := range states {
			hasELR = hasELR || len(st.ELR) > 0
		}
	}
	height := plotTop + headH + quorumH + rowH*rows + plotBottom
	p := Plot{ID: "timeline", Title: "Partition leaders and ISRs (controller changes marked)", Width: plotWidth, Height: height,
		Legend: timelineLegend(timelineBrokers(brokers, timelines, events, s), kraft, hasELR)}
	if kraft {
		p.Title = "Quorum leader (the active controller), partition leaders and ISRs"
		if hasELR {
			p.Title += " and ELRs"
		}
	}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	p.Bands = bands(s.Faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	if kraft {
		quorumRow(&p, rundir.QuorumSpans(events), ax, top+headH, bottom, end)
	}
	rowsTop := top + headH + float64(quorumH)
	if len(keys) == 0 {
		p.Texts = append(p.Texts, Text{X: plotLeft + 10, Y: rowsTop + 14, Text: "no partition events in the election log", Class: "note"})
	}
	for row, key := range keys {
		y := rowsTop + float64(row*rowH)
		p.Texts = append(p.Texts, Text{X: plotLeft - 6, Y: y + 12, Text: key, Class: "rowlabel"})
		states := timelines[key]
		fullISR := 0
		for _, st := range states {
			fullISR = max(fullISR, len(st.ISR))
		}
		for i, st := range states {
			until := end
			if i+1 < len(states) {
				until = states[i+1].Time
			}
			x1, x2 := ax.X(st.Time), ax.X(until)
			w := round1(max(x2-x1, 0.5))
			class := leaderClass(st.Leader)
			title := fmt.Sprintf("%s: leader %s, epoch %d, ISR %v", key, rundir.BrokerName(st.Leader), st.Epoch, st.ISR)
			if len(st.ELR) > 0 || len(st.LastKnownELR) > 0 {
				title += fmt.Sprintf(", ELR %v, last known ELR %v", st.ELR, st.LastKnownELR)
			}
			title += fmt.Sprintf(" from %.2fs to %.2fs", rundir.Seconds(st.Time), rundir.Seconds(until))
			if st.Recovery == 1 {
				title += " (unclean: leader recovering)"
			}
			p.Rects = append(p.Rects, Rect{X: x1, Y: y, W: w, H: 14, Class: class, Title: title})
			isrClass := "isr-full"
			switch {
			case len(st.ISR) == 0:
				isrClass = "isr-empty"
			case len(st.ISR) < fullISR:
				isrClass = "isr-short"
			}
			p.Rects = append(p.Rects, Rect{X: x1, Y: y + 15, W: w, H: 5, Class: isrClass, Title: title})
			if len(st.ELR) > 0 {
				p.Rects = append(p.Rects, Rect{X: x1, Y: y + 20.5, W: w, H: 2.5, Class: "elr", Title: title})
			}
			if w >= 14 && st.Leader >= 0 {
				p.Texts = append(p.Texts, Text{X: x1 + 3, Y: y + 11, Text: strconv.Itoa(st.Leader), Class: "ldrlabel"})
			}
		}
	}
	if hasGroup {
		groupRow(&p, s, ax, rowsTop+float64(len(keys)*rowH), end)
		p.Title = "Partition leaders and ISRs, the group's coordinator and rebalances (controller changes marked)"
		if kraft {
			p.Title = "Quorum leader (the active controller), partition leaders and ISRs, the group's coordinator and rebalances"
		}
		p.Legend = append(p.Legend, LegendItem{Class: "rebal", Label: "rebalance"})
	}
	if len(s.TxnCoordinators) > 0 {
		first := len(keys)
		if hasGroup {
			first++
		}
		for i, tc := range s.TxnCoordinators {
			txnCoordinatorRow(&p, tc, ax, rowsTop+float64((first+i)*rowH), end)
		}
		p.Title += "; each transactional id's coordinator"
	}
	prev := -2
	for _, e := range events {
		if e.Kind != electionlog.KindController || e.Source != electionlog.SourceZooKeeper || e.Controller == nil || *e.Controller == prev {
			continue
		}
		prev = *e.Controller
		x := ax.X(e.Time)
		epoch := -1
		if e.ControllerEpoch != nil {
			epoch = *e.ControllerEpoch
		}
		p.Lines = append(p.Lines, Line{X1: x, Y1: top, X2: x, Y2: bottom, Class: "ctl",
			Title: fmt.Sprintf("controller: %s (epoch %d) at %.2fs", rundir.BrokerName(*e.Controller), epoch, rundir.Seconds(e.Time))})
		p.Texts = append(p.Texts, Text{X: x + 2, Y: top + 10, Text: "C" + controllerLabel(*e.Controller), Class: "ctllabel"})
	}
	return p
}

// LeaderColours is how many leader colours the style defines (.ldr-0 to .ldr-9): clusters have
// at most nine brokers, numbered from 1, so no two brokers share one.
const LeaderColours = 10

// leaderClass is the class of a bar led by broker id (negative: no leader).
func leaderClass(id int) string {
	if id < 0 {
		return "ldr ldr-none"
	}
	return fmt.Sprintf("ldr ldr-%d", id%LeaderColours)
}

// timelineBrokers lists, in order, the configured brokers and every broker the election log or
// the group's coordinator look-ups mention.
func timelineBrokers(configured []int, timelines map[string][]rundir.PartitionState, events []electionlog.Event, s *rundir.HistoryScan) []int {
	seen := map[int]bool{}
	add := func(id int) {
		if id >= 0 {
			seen[id] = true
		}
	}
	for _, id := range configured {
		add(id)
	}
	for _, states := range timelines {
		for _, st := range states {
			add(st.Leader)
			for _, id := range st.ISR {
				add(id)
			}
		}
	}
	for _, e := range events {
		if e.Kind == electionlog.KindController && e.Controller != nil {
			add(*e.Controller)
		}
	}
	for _, c := range s.Coordinators {
		add(c.Broker)
	}
	ids := make([]int, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// timelineLegend keeps the leader colours (one per broker) and the ISR states under separate
// headings, so no swatch can be read as the other kind.
func timelineLegend(brokers []int, kraft, elr bool) []LegendItem {
	out := []LegendItem{{Label: "Leader (bar):", Head: true}}
	for _, id := range brokers {
		out = append(out, LegendItem{Class: leaderClass(id), Label: rundir.BrokerName(id)})
	}
	out = append(out, LegendItem{Class: leaderClass(-1), Label: "no leader"},
		LegendItem{Label: "ISR (strip under the bar):", Head: true},
		LegendItem{Class: "isr-full", Label: "full"}, LegendItem{Class: "isr-short", Label: "shrunk"},
		LegendItem{Class: "isr-empty", Label: "empty"})
	if elr {
		out = append(out, LegendItem{Label: "ELR (KIP-966, strip under the ISR):", Head: true},
			LegendItem{Class: "elr", Label: "non-empty"})
	}
	if kraft {
		return append(out, LegendItem{Label: "Quorum leader (top row, id and epoch):", Head: true},
			LegendItem{Class: "qterm qterm-0", Label: "a term"}, LegendItem{Class: "qterm qterm-1", Label: "the next term"},
			LegendItem{Class: leaderClass(-1), Label: "no node answers as leader"}, LegendItem{Class: "ctl", Label: "new term"})
	}
	return append(out, LegendItem{Label: "Controller:", Head: true}, LegendItem{Class: "ctl", Label: "change"})
}

func controllerLabel(id int) string {
	if id < 0 {
		return "-"
	}
	return strconv.Itoa(id)
}
