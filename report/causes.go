package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// causesShown bounds the causes listed on the page; results.json has them all.
const causesShown = 50

// causeRow is one distinct cause: the anomalies one event probably explains.
type causeRow struct {
	N       int
	Key     string
	Offsets string
	Counts  string // "lost-write 3, inconsistent-offsets 1"
	Total   int
	Summary string
	Ops     []int64
}

// causesView lists the checker's causes in its order (most damaging first).
func causesView(causes []checker.Cause) (rows []causeRow, more int) {
	for i, c := range causes {
		if i == causesShown {
			return rows, len(causes) - i
		}
		row := causeRow{N: i + 1, Key: c.Key, Summary: c.Summary, Ops: c.Ops}
		switch len(c.Offsets) {
		case 0:
		case 1:
			row.Offsets = strconv.FormatInt(c.Offsets[0], 10)
		default:
			if first, last := c.Offsets[0], c.Offsets[len(c.Offsets)-1]; first == last {
				row.Offsets = strconv.FormatInt(first, 10)
			} else {
				row.Offsets = fmt.Sprintf("%d..%d", first, last)
			}
		}
		var parts []string
		for _, t := range typeOrder(c.Counts) {
			parts = append(parts, fmt.Sprintf("%s %d", t, c.Counts[t]))
			row.Total += c.Counts[t]
		}
		row.Counts = strings.Join(parts, ", ")
		rows = append(rows, row)
	}
	return rows, 0
}

// typeOrder lists the types with a count: the checker's order first, then any others.
func typeOrder(counts map[checker.AnomalyType]int) []checker.AnomalyType {
	var out, extra []checker.AnomalyType
	for _, t := range checker.AnomalyTypes {
		if counts[t] > 0 {
			out = append(out, t)
		}
	}
	for t, n := range counts {
		if n > 0 && !slices.Contains(checker.AnomalyTypes, t) {
			extra = append(extra, t)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// causeOps are the ops the causes shown link to.
func causeOps(causes []checker.Cause) []int64 {
	var out []int64
	for i, c := range causes {
		if i == causesShown {
			break
		}
		out = append(out, c.Ops...)
	}
	return out
}

// lagRow is one partition's worst realtime lag: a measurement, never a failure.
type lagRow struct {
	Key    string
	Worst  string
	Op     int64
	Polls  int64
	Source string
}

func lagView(lag []checker.PartitionLag) []lagRow {
	sources := map[string]string{"hw": "high watermark the fetch returned", "reads": "last offset read (no high watermark recorded)"}
	rows := make([]lagRow, 0, len(lag))
	for _, l := range lag {
		src := sources[l.Source]
		if src == "" {
			src = l.Source
		}
		rows = append(rows, lagRow{Key: l.Key, Worst: fmt.Sprintf("%.3f", l.WorstSeconds), Op: l.Op, Polls: l.Polls, Source: src})
	}
	sortRowsByKey(rows, func(r lagRow) string { return r.Key })
	return rows
}

// sortRowsByKey orders rows by their partition key ("topic-N" by topic, then number).
func sortRowsByKey[T any](rows []T, key func(T) string) {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = key(r)
	}
	rundir.SortPartitionKeys(keys)
	rank := map[string]int{}
	for i, k := range keys {
		if _, ok := rank[k]; !ok {
			rank[k] = i
		}
	}
	slices.SortStableFunc(rows, func(a, b T) int { return rank[key(a)] - rank[key(b)] })
}

func lagOps(lag []checker.PartitionLag) []int64 {
	out := make([]int64, 0, len(lag))
	for _, l := range lag {
		out = append(out, l.Op)
	}
	return out
}
