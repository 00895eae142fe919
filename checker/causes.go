package checker

import (
	"fmt"
	"sort"
	"strings"
)

// findCauses groups the anomalies that fail the verdict by what probably caused them. Anomalies
// of one key whose first offsets lie in one damaged range (no offset known to be good between
// them) are one cause: a truncated stretch of a log shows up as lost writes and inconsistent
// offsets together, but it happened once. An anomaly without a key or offsets is a cause of its
// own. good holds, per key, the sorted offsets known to be intact; without it (a result read
// back from JSON) only adjacent offsets are grouped.
func findCauses(anomalies map[AnomalyType][]Anomaly, allow map[AnomalyType]bool, good map[string][]int64) []Cause {
	type item struct {
		a   *Anomaly
		off int64
	}
	byKey := map[string][]item{}
	var causes []Cause
	for _, t := range AnomalyTypes {
		if allow[t] {
			continue
		}
		for i := range anomalies[t] {
			a := &anomalies[t][i]
			if a.Key == "" || len(a.Offsets) == 0 {
				causes = append(causes, Cause{Key: a.Key, Counts: map[AnomalyType]int{a.Type: 1}, Ops: a.Ops,
					Summary: fmt.Sprintf("%s: %s", a.Type, a.Explanation)})
				continue
			}
			byKey[a.Key] = append(byKey[a.Key], item{a, a.Offsets[0]})
		}
	}
	for _, key := range sortedKeys(byKey) {
		items := byKey[key]
		sort.SliceStable(items, func(i, j int) bool { return items[i].off < items[j].off })
		intact := good[key]
		var cur *Cause
		for _, it := range items {
			if cur != nil && !goodBetween(intact, cur.Offsets[1], it.off) && (intact != nil || it.off <= cur.Offsets[1]+1) {
				cur.Offsets[1] = max(cur.Offsets[1], it.off)
				cur.Counts[it.a.Type]++
				continue
			}
			causes = append(causes, Cause{Key: key, Offsets: []int64{it.off, it.off},
				Counts: map[AnomalyType]int{it.a.Type: 1}, Ops: it.a.Ops})
			cur = &causes[len(causes)-1]
		}
	}
	for i := range causes {
		c := &causes[i]
		if c.Summary == "" {
			c.Summary = c.describe()
		}
	}
	sort.SliceStable(causes, func(i, j int) bool { return causes[i].total() > causes[j].total() })
	return causes
}

// goodBetween reports whether an intact offset lies strictly between from and to.
func goodBetween(sorted []int64, from, to int64) bool {
	i := sort.Search(len(sorted), func(i int) bool { return sorted[i] > from })
	return i < len(sorted) && sorted[i] < to
}

func (c Cause) total() int {
	n := 0
	for _, v := range c.Counts {
		n += v
	}
	return n
}

func (c Cause) describe() string {
	where := fmt.Sprintf("%s offset %d", c.Key, c.Offsets[0])
	if c.Offsets[1] != c.Offsets[0] {
		where = fmt.Sprintf("%s offsets %d-%d", c.Key, c.Offsets[0], c.Offsets[1])
	}
	var parts []string
	for _, t := range AnomalyTypes {
		if n := c.Counts[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d", t, n))
		}
	}
	return where + ": " + strings.Join(parts, ", ")
}

// intactOffsets lists, per key, the offsets that hold the one value acknowledged there, as the
// final log (or, without one, the polls) confirmed: the boundaries between damaged ranges.
func intactOffsets(keys []*keyState, drained bool) map[string][]int64 {
	out := make(map[string][]int64, len(keys))
	for _, k := range keys {
		var offs []int64
		for r := range k.records() {
			if r.status != sentOK {
				continue
			}
			confirmed := r.drainOp >= 0 && r.drainOffset == r.ack
			if !drained {
				confirmed = r.firstRead >= 0 && r.nseen == 1 && r.seen0.offset == r.ack
			}
			if confirmed && !k.hasConflictAt(r.ack) {
				offs = append(offs, r.ack)
			}
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		out[k.name] = offs
	}
	return out
}

func (k *keyState) hasConflictAt(offset int64) bool {
	if len(k.conflicts) == 0 {
		return false
	}
	if k.conflictsAt == nil {
		k.conflictsAt = make(map[int64][]string)
		for _, c := range k.conflicts {
			k.conflictsAt[c.offset] = append(k.conflictsAt[c.offset], c.value)
		}
	}
	return len(k.conflictsAt[offset]) > 0
}
