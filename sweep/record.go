package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Record is sweep.json: one shard's plan of a sweep and how each of its runs ended. Merging
// shards checks their records against each other (Coverage).
type Record struct {
	ID         string      `json:"id"`
	Seed       int64       `json:"seed"`
	Shard      string      `json:"shard"` // I/N
	ShardIndex int         `json:"shard_index"`
	ShardCount int         `json:"shard_count"`
	TotalRuns  int         `json:"total_runs"` // the whole sweep's, every shard's
	Plan       string      `json:"plan"`       // PlanFingerprint of the whole sweep
	Matrix     string      `json:"matrix_name,omitempty"`
	Verdict    string      `json:"verdict"`
	Runs       []RecordRun `json:"runs"`
}

// RecordRun is one run of a Record.
type RecordRun struct {
	Index   int     `json:"index"`
	Cell    string  `json:"cell"`
	Repeat  int     `json:"repeat"`
	Seed    int64   `json:"seed"`
	Dir     string  `json:"dir"`
	Verdict string  `json:"verdict"` // NotStarted for a run the sweep stopped before
	Detail  string  `json:"detail,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Command string  `json:"command"`
}

// NotStarted is a RecordRun's verdict when the sweep stopped before the run.
const NotStarted = "not started"

// PlanFingerprint identifies a sweep's whole plan (every run's index, cell, repeat and seed),
// so shards of different matrices or seeds are not taken for one sweep.
func PlanFingerprint(runs []Run) string {
	h := sha256.New()
	for _, r := range runs {
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00%d\n", r.Index, r.Cell.Name, r.Repeat, r.Seed)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Coverage checks the records of one sweep: that they agree on its seed, plan and shard count,
// that every shard is there once, and that together they ran each of its runs exactly once.
// haveDir says whether a run directory is present. It returns the problems, none when the
// sweep is whole.
func Coverage(records []Record, haveDir func(string) bool) []string {
	if len(records) == 0 {
		return nil
	}
	first := records[0]
	var problems []string
	shards := map[int]int{}
	for _, r := range records {
		if r.Seed != first.Seed || r.Plan != first.Plan || r.TotalRuns != first.TotalRuns || r.ShardCount != first.ShardCount {
			problems = append(problems, fmt.Sprintf("shard %s (seed %d, plan %s, %d runs) and shard %s (seed %d, plan %s, %d runs) are not of one plan",
				first.Shard, first.Seed, first.Plan, first.TotalRuns, r.Shard, r.Seed, r.Plan, r.TotalRuns))
			continue
		}
		shards[r.ShardIndex]++
	}
	if len(problems) > 0 {
		return problems
	}
	var missing []string
	for i := 1; i <= first.ShardCount; i++ {
		switch shards[i] {
		case 0:
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.ShardCount))
		case 1:
		default:
			problems = append(problems, fmt.Sprintf("shard %d/%d is there %d times", i, first.ShardCount, shards[i]))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "shards missing: "+strings.Join(missing, ", "))
	}
	ran := map[int]int{}
	var notRun []int
	for _, r := range records {
		for _, run := range r.Runs {
			switch {
			case run.Verdict == NotStarted:
				notRun = append(notRun, run.Index)
			case !haveDir(run.Dir):
				problems = append(problems, fmt.Sprintf("run %d (%s) ran but its directory %s is missing", run.Index, run.Cell, run.Dir))
				ran[run.Index]++
			default:
				ran[run.Index]++
			}
		}
	}
	var absent []int
	for i := 1; i <= first.TotalRuns; i++ {
		if ran[i] == 0 && !slices.Contains(notRun, i) {
			absent = append(absent, i)
		}
		if ran[i] > 1 {
			problems = append(problems, fmt.Sprintf("run %d ran %d times", i, ran[i]))
		}
	}
	sort.Ints(notRun)
	if len(notRun) > 0 {
		problems = append(problems, fmt.Sprintf("%d runs not started (the sweep stopped early): %s", len(notRun), ints(notRun)))
	}
	if len(absent) > 0 && len(missing) == 0 {
		problems = append(problems, fmt.Sprintf("%d runs in no shard's record: %s", len(absent), ints(absent)))
	} else if len(absent) > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d runs missing with those shards", len(absent), first.TotalRuns))
	}
	return problems
}

func ints(xs []int) string {
	parts := make([]string, 0, len(xs))
	for i, x := range xs {
		if i == 20 {
			parts = append(parts, fmt.Sprintf("... %d more", len(xs)-20))
			break
		}
		parts = append(parts, fmt.Sprint(x))
	}
	return strings.Join(parts, ", ")
}
