package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// readsShown is how many reads of one key are shown for a poll (rundir has the other caps).
const readsShown = 12

// opRow is one history line as the report shows it.
type opRow struct {
	Index   int64
	Known   bool // false: the op was not found in the history
	Time    string
	Process string
	Type    string
	F       string
	Key     string
	Value   string
	Offset  string
	Error   string
}

func makeOpRow(index int64, ops map[int64]history.Op) opRow {
	op, ok := ops[index]
	if !ok {
		return opRow{Index: index}
	}
	row := opRow{Index: index, Known: true, Time: fmt.Sprintf("%.6f", rundir.Seconds(op.Time)), Process: strconv.Itoa(op.Process),
		Type: string(op.Type), F: op.F, Error: rundir.Clip(op.Error)}
	if op.Process == history.NemesisProcess {
		row.Process = "nemesis"
		row.Value = rundir.Clip(string(op.Value))
		return row
	}
	switch {
	case op.F == history.FSend && len(op.Value) > 0:
		if v, err := op.Send(); err == nil {
			row.Key, row.Value = v.Key, rundir.Clip(v.Value)
			if v.Offset != nil {
				row.Offset = strconv.FormatInt(*v.Offset, 10)
			}
		}
	case op.F == history.FPoll && op.Type == history.OK:
		if v, err := op.PollReads(); err == nil {
			row.Key, row.Value, row.Offset = summarizeReads(v)
		}
	case op.F == history.FPoll && len(op.Value) > 0:
		if v, err := op.PollKeys(); err == nil {
			row.Key = rundir.Clip(strings.Join(v.Keys, " "))
		}
	}
	if row.Value == "" && row.Key == "" && len(op.Value) > 0 && op.Type != history.Invoke {
		row.Value = rundir.Clip(string(op.Value))
	}
	return row
}

// summarizeReads shows a poll's reads per key, the first and last few of each.
func summarizeReads(p history.PollResult) (keys, values, offsets string) {
	var k, v, o []string
	for _, key := range slices.Sorted(maps.Keys(p.Reads)) {
		reads := p.Reads[key]
		k = append(k, key)
		if len(reads) == 0 {
			v = append(v, key+": (none)")
			continue
		}
		o = append(o, fmt.Sprintf("%s: %d..%d", key, reads[0].Offset, reads[len(reads)-1].Offset))
		var parts []string
		for i, r := range reads {
			if len(reads) > readsShown && i == readsShown-4 {
				parts = append(parts, fmt.Sprintf("… %d more …", len(reads)-readsShown))
			}
			if len(reads) > readsShown && i >= readsShown-4 && i < len(reads)-4 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%d:%s", r.Offset, r.Value))
		}
		v = append(v, key+": "+strings.Join(parts, " "))
	}
	return rundir.Clip(strings.Join(k, " ")), rundir.Clip(strings.Join(v, "; ")), rundir.Clip(strings.Join(o, "; "))
}

// opRows returns rows for the given indexes and their partners, sorted.
func opRows(indexes []int64, ops map[int64]history.Op) []opRow {
	seen := map[int64]bool{}
	var all []int64
	for _, i := range indexes {
		if !seen[i] {
			seen[i] = true
			all = append(all, i)
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	rows := make([]opRow, len(all))
	for i, idx := range all {
		rows[i] = makeOpRow(idx, ops)
	}
	return rows
}
