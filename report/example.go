package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// laterStatesShown bounds the partition changes listed after an acknowledgement.
const laterStatesShown = 12

type anomalySection struct {
	Type     string
	Anchor   string
	Count    int
	Allowed  bool
	Why      string
	Examples []exampleView
}

type exampleView struct {
	ID          string
	Key         string
	Process     string
	Offsets     string
	Values      string
	Explanation string
	Ops         []exampleOp
	Events      []eventRow
	Context     *electionContext
	LinViz      string // href of the porcupine page for the key, if any
}

// exampleOp is an op of an example: cited by the checker, or the other half of a cited op.
type exampleOp struct {
	Row   opRow
	Cited bool
}

type eventRow struct {
	Index  int
	Time   string
	Kind   string
	Source string
	Detail string
}

// electionContext is a partition's state when a write was acknowledged and what came after.
type electionContext struct {
	What    string // "acknowledged" or "first op"
	At      string
	Leader  string
	Epoch   int
	ISR     string
	ELR     string
	HasELR  bool // some state shown has an ELR: the table gets its column
	Known   bool
	Later   []stateRow
	More    int
	Summary []string
}

type stateRow struct {
	Time    string
	Leader  string
	Epoch   int
	ISR     string
	ELR     string
	Note    string
	Suspect bool
}

func buildExample(r *rundir.Run, a checker.Anomaly, id string) exampleView {
	ex := exampleView{ID: id, Key: a.Key, Explanation: a.Explanation}
	if a.Process != nil {
		ex.Process = strconv.Itoa(*a.Process)
	}
	var offs []string
	for _, o := range a.Offsets {
		offs = append(offs, strconv.FormatInt(o, 10))
	}
	ex.Offsets = strings.Join(offs, ", ")
	var vals []string
	for _, v := range a.Values {
		vals = append(vals, strconv.Quote(rundir.Clip(v)))
	}
	ex.Values = strings.Join(vals, ", ")
	indexes := slices.Clone(a.Ops)
	for _, op := range a.Ops {
		if p, ok := r.Scan.Partner[op]; ok {
			indexes = append(indexes, p)
		}
	}
	for _, row := range opRows(indexes, r.Scan.Ops) {
		ex.Ops = append(ex.Ops, exampleOp{Row: row, Cited: slices.Contains(a.Ops, row.Index)})
	}
	for _, i := range a.Events {
		if i >= 0 && i < len(r.Events) {
			ex.Events = append(ex.Events, makeEventRow(i, r.Events[i]))
		}
	}
	if a.Type == checker.LostWrite || a.Type == checker.InconsistentOffsets {
		ex.Context = buildContext(r, a)
	}
	return ex
}

func makeEventRow(i int, e electionlog.Event) eventRow {
	row := eventRow{Index: i, Time: fmt.Sprintf("%.3f", rundir.Seconds(e.Time)), Kind: string(e.Kind), Source: string(e.Source)}
	var parts []string
	switch e.Source {
	case electionlog.SourceMetadata:
		parts = append(parts, "read from broker "+strconv.Itoa(e.Broker))
	case electionlog.SourceQuorum:
		parts = append(parts, "answer of "+rundir.NodeName(e.Broker))
	}
	switch e.Kind {
	case electionlog.KindQuorum:
		switch {
		case e.Leader == nil || *e.Leader < 0:
			parts = append(parts, "no leader claimed (a follower, or no leader known)")
		case *e.Leader == e.Broker:
			parts = append(parts, "claims leadership")
		default:
			parts = append(parts, "names leader "+rundir.NodeName(*e.Leader))
		}
		if e.LeaderEpoch != nil {
			parts = append(parts, "quorum epoch "+strconv.Itoa(*e.LeaderEpoch))
		}
		if len(e.Voters) > 0 {
			parts = append(parts, fmt.Sprintf("voters %v", e.Voters))
		}
		if len(e.Lagging) > 0 {
			parts = append(parts, fmt.Sprintf("lagging %v", e.Lagging))
		}
	case electionlog.KindController:
		if e.Controller != nil {
			parts = append(parts, "controller "+rundir.BrokerName(*e.Controller))
		}
		if e.ControllerEpoch != nil {
			parts = append(parts, "epoch "+strconv.Itoa(*e.ControllerEpoch))
		}
	case electionlog.KindPartition:
		parts = append(parts, e.Key())
		if e.Leader != nil {
			parts = append(parts, "leader "+rundir.BrokerName(*e.Leader))
		}
		if e.LeaderEpoch != nil {
			parts = append(parts, "leader epoch "+strconv.Itoa(*e.LeaderEpoch))
		}
		parts = append(parts, fmt.Sprintf("ISR %v", e.ISR))
		if len(e.ELR) > 0 || len(e.LastKnownELR) > 0 {
			parts = append(parts, fmt.Sprintf("ELR %v, last known ELR %v", e.ELR, e.LastKnownELR))
		}
		if e.HighWatermark != nil {
			parts = append(parts, "high watermark "+strconv.FormatInt(*e.HighWatermark, 10))
		}
		if e.LeaderRecovery == 1 {
			parts = append(parts, "leader recovering (unclean)")
		}
	case electionlog.KindUnreachable:
		if e.Error == "" {
			parts = append(parts, "answers again")
		} else {
			parts = append(parts, "unreachable: "+e.Error)
		}
	default:
		parts = append(parts, e.Error)
	}
	row.Detail = strings.Join(parts, ", ")
	return row
}

// buildContext finds the acknowledging send among the anomaly's ops (or else its first op) and
// describes the partition's leadership then and afterwards.
func buildContext(r *rundir.Run, a checker.Anomaly) *electionContext {
	ctx := &electionContext{What: "first op of the anomaly"}
	at := int64(-1)
	for _, i := range a.Ops {
		op, ok := r.Scan.Ops[i]
		if ok && op.F == history.FSend && op.Type == history.OK {
			at, ctx.What = op.Time, fmt.Sprintf("acknowledged (op %d)", i)
			break
		}
	}
	if at < 0 {
		for _, i := range a.Ops {
			if op, ok := r.Scan.Ops[i]; ok && (at < 0 || op.Time < at) {
				at = op.Time
			}
		}
	}
	if at < 0 {
		return nil
	}
	ctx.At = fmt.Sprintf("%.3fs", rundir.Seconds(at))
	states := rundir.PartitionTimelines(r.Events)[a.Key]
	if len(states) == 0 {
		ctx.Summary = append(ctx.Summary, "The election log has no events for "+a.Key+".")
		return ctx
	}
	before, ok := rundir.StateAt(states, at)
	if ok {
		ctx.Known, ctx.Leader, ctx.Epoch, ctx.ISR, ctx.ELR = true, rundir.BrokerName(before.Leader), before.Epoch, fmt.Sprint(before.ISR), fmt.Sprint(before.ELR)
		ctx.HasELR = len(before.ELR) > 0
		ctx.Summary = append(ctx.Summary, fmt.Sprintf("At %s the leader was %s (epoch %d, ISR %v): it acknowledged the write.",
			ctx.At, rundir.BrokerName(before.Leader), before.Epoch, before.ISR))
	}
	suspects := 0
	for _, st := range states {
		if st.Time <= at {
			continue
		}
		if len(ctx.Later) == laterStatesShown {
			ctx.More++
			continue
		}
		row := stateRow{Time: fmt.Sprintf("%.3fs", rundir.Seconds(st.Time)), Leader: rundir.BrokerName(st.Leader), Epoch: st.Epoch, ISR: fmt.Sprint(st.ISR), ELR: fmt.Sprint(st.ELR)}
		ctx.HasELR = ctx.HasELR || len(st.ELR) > 0
		switch {
		case st.Leader < 0:
			row.Note = "no leader"
		case !ok:
		case st.Leader == before.Leader:
		case !slices.Contains(before.ISR, st.Leader) && slices.Contains(before.ELR, st.Leader):
			row.Note = "was in the ELR (not the ISR) at the acknowledgement"
		case !slices.Contains(before.ISR, st.Leader):
			row.Note, row.Suspect = "not in the ISR when the write was acknowledged: may not have had it", true
		default:
			row.Note = "was in the ISR at the acknowledgement"
		}
		if st.Recovery == 1 {
			row.Note, row.Suspect = strings.TrimPrefix(row.Note+"; unclean election", "; "), true
		}
		if row.Suspect {
			suspects++
			ctx.Summary = append(ctx.Summary, fmt.Sprintf("%s became leader at %s (epoch %d): %s.", row.Leader, row.Time, row.Epoch, row.Note))
		}
		ctx.Later = append(ctx.Later, row)
	}
	if ok && suspects == 0 && len(ctx.Later) > 0 {
		in := "the ISR"
		if ctx.HasELR {
			in = "the ISR or the ELR"
		}
		ctx.Summary = append(ctx.Summary, "Every later leader was in "+in+" when the write was acknowledged.")
	}
	return ctx
}
