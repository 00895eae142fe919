package report

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/electionlog"
)

// partitionState is a partition's leader, epoch, ISR and ELR from some time on.
type partitionState struct {
	Time         int64
	Leader       int
	Epoch        int
	ISR          []int
	ELR          []int // KIP-966's eligible leader replicas (KRaft with ELR on)
	LastKnownELR []int
	Recovery     int
}

// partitionTimelines groups partition events by key. ZooKeeper is authoritative; brokers'
// metadata is used only when the log has no ZooKeeper partition events at all (KRaft). Each
// broker's view replays the same metadata log, lagging, so every view's states are a
// subsequence of the partition's true ones: a view's state is new only if it is not among the
// states recorded after the one that view last showed. A lagging view catching up then adds
// nothing, and the timeline shows each change once, when some view first showed it.
func partitionTimelines(events []electionlog.Event) map[string][]partitionState {
	out := map[string][]partitionState{}
	for _, source := range []electionlog.Source{electionlog.SourceZooKeeper, electionlog.SourceMetadata} {
		at := map[viewKey]int{} // index into out[key] of the state a view last showed
		for _, e := range events {
			if e.Kind != electionlog.KindPartition || e.Source != source || e.Partition == nil {
				continue
			}
			st := partitionState{Time: e.Time, Leader: electionlog.NoLeader, Epoch: -1, ISR: electionlog.SortedISR(e.ISR),
				ELR: electionlog.SortedIDs(e.ELR), LastKnownELR: electionlog.SortedIDs(e.LastKnownELR), Recovery: e.LeaderRecovery}
			if e.Leader != nil {
				st.Leader = *e.Leader
			}
			if e.LeaderEpoch != nil {
				st.Epoch = *e.LeaderEpoch
			}
			key := e.Key()
			list := out[key]
			vk := viewKey{e.Broker, key}
			from, seen := at[vk]
			if !seen {
				from = -1
			}
			if seen && sameState(list[from], st) {
				continue // the view's own state again (a high watermark's change, say)
			}
			found := -1
			for i := from + 1; i < len(list); i++ {
				if sameState(list[i], st) {
					found = i
					break
				}
			}
			if found < 0 {
				out[key] = append(list, st)
				found = len(list)
			}
			at[vk] = found
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// viewKey is one broker's view of one partition.
type viewKey struct {
	broker int
	key    string
}

func sameState(a, b partitionState) bool {
	return a.Leader == b.Leader && a.Epoch == b.Epoch && slices.Equal(a.ISR, b.ISR) && a.Recovery == b.Recovery &&
		slices.Equal(a.ELR, b.ELR) && slices.Equal(a.LastKnownELR, b.LastKnownELR)
}

// stateAt returns the state in effect at t.
func stateAt(states []partitionState, t int64) (partitionState, bool) {
	i := sort.Search(len(states), func(i int) bool { return states[i].Time > t })
	if i == 0 {
		return partitionState{}, false
	}
	return states[i-1], true
}

// sortPartitionKeys orders "topic-N" keys by topic, then partition number.
func sortPartitionKeys(keys []string) {
	split := func(k string) (string, int) {
		i := strings.LastIndexByte(k, '-')
		if i < 0 {
			return k, -1
		}
		n, err := strconv.Atoi(k[i+1:])
		if err != nil {
			return k, -1
		}
		return k[:i], n
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, pi := split(keys[i])
		tj, pj := split(keys[j])
		if ti != tj {
			return ti < tj
		}
		return pi < pj
	})
}

// timelinePlot draws one row per partition: leader segments coloured by broker, an ISR strip
// under them (shrunk or empty ISRs stand out), an ELR strip where there is one, and controller
// changes as vertical lines; in KRaft (kraft) the quorum leader gets a row of its own on top.
// brokers are the cluster's broker ids (from config.json); the legend names each of them and any
// other broker the log mentions.
func timelinePlot(events []electionlog.Event, s *historyScan, kinds map[string]string, brokers []int, kraft bool) svgPlot {
	const rowH, headH = 24, 16
	timelines := partitionTimelines(events)
	keys := sortedKeys(timelines)
	sortPartitionKeys(keys)
	end := s.end
	for _, e := range events {
		end = max(end, e.Time)
	}
	ax := newTimeAxis(end)
	rows := max(len(keys), 1)
	hasGroup := len(s.coordinators)+len(s.rebalances) > 0
	if hasGroup {
		rows = len(keys) + 1 // the consumer group's row, under the partitions
	}
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
	p := svgPlot{ID: "timeline", Title: "Partition leaders and ISRs (controller changes marked)", Width: plotWidth, Height: height,
		Legend: timelineLegend(timelineBrokers(brokers, timelines, events, s), kraft, hasELR)}
	if kraft {
		p.Title = "Quorum leader (the active controller), partition leaders and ISRs"
		if hasELR {
			p.Title += " and ELRs"
		}
	}
	top, bottom := float64(plotTop), float64(height-plotBottom)
	p.Bands = bands(s.faults, kinds, ax, top, bottom)
	p.XTicks = ax.ticks()
	if kraft {
		quorumRow(&p, quorumSpans(events), ax, top+headH, bottom, end)
	}
	rowsTop := top + headH + float64(quorumH)
	if len(keys) == 0 {
		p.Texts = append(p.Texts, svgText{X: plotLeft + 10, Y: rowsTop + 14, Text: "no partition events in the election log", Class: "note"})
	}
	for row, key := range keys {
		y := rowsTop + float64(row*rowH)
		p.Texts = append(p.Texts, svgText{X: plotLeft - 6, Y: y + 12, Text: key, Class: "rowlabel"})
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
			x1, x2 := ax.x(st.Time), ax.x(until)
			w := round1(max(x2-x1, 0.5))
			class := leaderClass(st.Leader)
			title := fmt.Sprintf("%s: leader %s, epoch %d, ISR %v", key, brokerName(st.Leader), st.Epoch, st.ISR)
			if len(st.ELR) > 0 || len(st.LastKnownELR) > 0 {
				title += fmt.Sprintf(", ELR %v, last known ELR %v", st.ELR, st.LastKnownELR)
			}
			title += fmt.Sprintf(" from %.2fs to %.2fs", secondsOf(st.Time), secondsOf(until))
			if st.Recovery == 1 {
				title += " (unclean: leader recovering)"
			}
			p.Rects = append(p.Rects, svgRect{X: x1, Y: y, W: w, H: 14, Class: class, Title: title})
			isrClass := "isr-full"
			switch {
			case len(st.ISR) == 0:
				isrClass = "isr-empty"
			case len(st.ISR) < fullISR:
				isrClass = "isr-short"
			}
			p.Rects = append(p.Rects, svgRect{X: x1, Y: y + 15, W: w, H: 5, Class: isrClass, Title: title})
			if len(st.ELR) > 0 {
				p.Rects = append(p.Rects, svgRect{X: x1, Y: y + 20.5, W: w, H: 2.5, Class: "elr", Title: title})
			}
			if w >= 14 && st.Leader >= 0 {
				p.Texts = append(p.Texts, svgText{X: x1 + 3, Y: y + 11, Text: strconv.Itoa(st.Leader), Class: "ldrlabel"})
			}
		}
	}
	if hasGroup {
		groupRow(&p, s, ax, rowsTop+float64(len(keys)*rowH), end)
		p.Title = "Partition leaders and ISRs, the group's coordinator and rebalances (controller changes marked)"
		if kraft {
			p.Title = "Quorum leader (the active controller), partition leaders and ISRs, the group's coordinator and rebalances"
		}
		p.Legend = append(p.Legend, legendItem{Class: "rebal", Label: "rebalance"})
	}
	prev := -2
	for _, e := range events {
		if e.Kind != electionlog.KindController || e.Source != electionlog.SourceZooKeeper || e.Controller == nil || *e.Controller == prev {
			continue
		}
		prev = *e.Controller
		x := ax.x(e.Time)
		epoch := -1
		if e.ControllerEpoch != nil {
			epoch = *e.ControllerEpoch
		}
		p.Lines = append(p.Lines, svgLine{X1: x, Y1: top, X2: x, Y2: bottom, Class: "ctl",
			Title: fmt.Sprintf("controller: %s (epoch %d) at %.2fs", brokerName(*e.Controller), epoch, secondsOf(e.Time))})
		p.Texts = append(p.Texts, svgText{X: x + 2, Y: top + 10, Text: "C" + controllerLabel(*e.Controller), Class: "ctllabel"})
	}
	return p
}

// leaderColours is how many leader colours the style defines (.ldr-0 to .ldr-9): clusters have
// at most nine brokers, numbered from 1, so no two brokers share one.
const leaderColours = 10

// leaderClass is the class of a bar led by broker id (negative: no leader).
func leaderClass(id int) string {
	if id < 0 {
		return "ldr ldr-none"
	}
	return fmt.Sprintf("ldr ldr-%d", id%leaderColours)
}

// timelineBrokers lists, in order, the configured brokers and every broker the election log or
// the group's coordinator look-ups mention.
func timelineBrokers(configured []int, timelines map[string][]partitionState, events []electionlog.Event, s *historyScan) []int {
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
	for _, c := range s.coordinators {
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
func timelineLegend(brokers []int, kraft, elr bool) []legendItem {
	out := []legendItem{{Label: "Leader (bar):", Head: true}}
	for _, id := range brokers {
		out = append(out, legendItem{Class: leaderClass(id), Label: brokerName(id)})
	}
	out = append(out, legendItem{Class: leaderClass(-1), Label: "no leader"},
		legendItem{Label: "ISR (strip under the bar):", Head: true},
		legendItem{Class: "isr-full", Label: "full"}, legendItem{Class: "isr-short", Label: "shrunk"},
		legendItem{Class: "isr-empty", Label: "empty"})
	if elr {
		out = append(out, legendItem{Label: "ELR (KIP-966, strip under the ISR):", Head: true},
			legendItem{Class: "elr", Label: "non-empty"})
	}
	if kraft {
		return append(out, legendItem{Label: "Quorum leader (top row, id and epoch):", Head: true},
			legendItem{Class: "qterm qterm-0", Label: "a term"}, legendItem{Class: "qterm qterm-1", Label: "the next term"},
			legendItem{Class: leaderClass(-1), Label: "no node answers as leader"}, legendItem{Class: "ctl", Label: "new term"})
	}
	return append(out, legendItem{Label: "Controller:", Head: true}, legendItem{Class: "ctl", Label: "change"})
}

func brokerName(id int) string {
	if id < 0 {
		return "none"
	}
	return "broker " + strconv.Itoa(id)
}

func controllerLabel(id int) string {
	if id < 0 {
		return "-"
	}
	return strconv.Itoa(id)
}
