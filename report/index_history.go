package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// historyDays is how many of the latest days with runs the history grid shows; the changes it
// marks are found over all of them.
const historyDays = 30

// historyView is index.html's grid: a row per configuration, a column per UTC day with runs.
type historyView struct {
	Days    []string // the days shown, oldest first (YYYY-MM-DD)
	Older   int      // days with runs before the first one shown
	Configs []configHistory
	// Unconfigured counts runs without a configuration (no config.json, or no spec in it).
	Unconfigured int
}

type configHistory struct {
	Key, Label, KafkaVersion string
	Runs                     int
	Cells                    []dayCell // one per historyView.Days
	// VersionNote lists each Kafka version's latest outcome when the versions of this
	// configuration disagree; Regression marks a version whose outcome is worse than another's.
	VersionNote string
	Regression  bool

	across string
	days   map[string]*dayCell
	order  []string // its days, oldest first
}

// dayCell is one configuration's runs of one day.
type dayCell struct {
	Runs        []historyRun
	Outcome     string // the day's distinct verdicts, worst first: "invalid", "valid", "invalid + valid"
	ChangedFrom string // the outcome of the configuration's previous day with runs, when it differs
	rank        int
}

type historyRun struct {
	Name, Href, Verdict, Class string
	Detail                     string // anomaly counts and time to recover
}

// verdictRank orders verdicts from best to worst.
var verdictRank = map[string]int{VerdictValid: 0, VerdictNotChecked: 1, VerdictUnknown: 2, VerdictInvalid: 3}

func buildHistory(runs []indexRun, showDays int) historyView {
	var v historyView
	byKey := map[string]*configHistory{}
	allDays := map[string]bool{}
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		e := runs[i].Entry
		if e.Configuration == "" {
			v.Unconfigured++
			continue
		}
		c := byKey[e.Configuration]
		if c == nil {
			c = &configHistory{Key: e.Configuration, across: e.ConfigurationAcrossVersions, days: map[string]*dayCell{}}
			byKey[e.Configuration] = c
		}
		c.Label, c.KafkaVersion = e.ConfigurationLabel, e.KafkaVersion // the newest run's
		c.Runs++
		day := e.started.Format("2006-01-02")
		allDays[day] = true
		cell := c.days[day]
		if cell == nil {
			cell = &dayCell{}
			c.days[day], c.order = cell, append(c.order, day)
		}
		cell.Runs = append(cell.Runs, historyRun{Name: e.Run, Href: runs[i].Href, Verdict: e.Verdict,
			Class: verdictClass(e.Verdict), Detail: runDetail(e)})
	}
	for _, c := range byKey {
		sort.Strings(c.order) // started times sort runs within a day too, but days by date to be sure
		var prev *dayCell
		for _, day := range c.order {
			cell := c.days[day]
			cell.Outcome, cell.rank = outcomeOf(cell.Runs)
			if prev != nil && prev.Outcome != cell.Outcome {
				cell.ChangedFrom = prev.Outcome
			}
			prev = cell
		}
		v.Configs = append(v.Configs, *c)
	}
	markVersionDifferences(v.Configs)
	sort.Slice(v.Configs, func(i, j int) bool {
		a, b := v.Configs[i], v.Configs[j]
		ra, rb := labelWithoutVersion(a.Label), labelWithoutVersion(b.Label)
		switch {
		case ra != rb:
			return ra < rb
		case a.across != b.across:
			return a.across < b.across
		case a.KafkaVersion != b.KafkaVersion:
			return compareVersions(a.KafkaVersion, b.KafkaVersion) < 0
		}
		return a.Key < b.Key
	})
	for day := range allDays {
		v.Days = append(v.Days, day)
	}
	sort.Strings(v.Days)
	if len(v.Days) > showDays {
		v.Older, v.Days = len(v.Days)-showDays, v.Days[len(v.Days)-showDays:]
	}
	for i := range v.Configs {
		c := &v.Configs[i]
		for _, day := range v.Days {
			if cell := c.days[day]; cell != nil {
				c.Cells = append(c.Cells, *cell)
			} else {
				c.Cells = append(c.Cells, dayCell{})
			}
		}
	}
	return v
}

// outcomeOf is a day's distinct verdicts, worst first, and the worst one's rank.
func outcomeOf(runs []historyRun) (string, int) {
	seen := map[string]bool{}
	var verdicts []string
	for _, r := range runs {
		if !seen[r.Verdict] {
			seen[r.Verdict] = true
			verdicts = append(verdicts, r.Verdict)
		}
	}
	sort.Slice(verdicts, func(i, j int) bool { return verdictRank[verdicts[i]] > verdictRank[verdicts[j]] })
	return strings.Join(verdicts, " + "), verdictRank[verdicts[0]]
}

// markVersionDifferences compares the configurations that differ only in their Kafka version,
// on the latest day two or more of them ran (each version's latest day when they never ran on
// one day). Where their outcomes differ, each row lists them; a version that lost data (an
// invalid run) where another's runs were all valid is marked as the regression. A difference in
// unknown or unchecked runs alone is listed, not marked: it says nothing of Kafka.
func markVersionDifferences(configs []configHistory) {
	families := map[string][]int{}
	for i, c := range configs {
		families[c.across] = append(families[c.across], i)
	}
	for across, members := range families {
		if across == "" || len(members) < 2 {
			continue
		}
		sort.Slice(members, func(i, j int) bool {
			return compareVersions(configs[members[i]].KafkaVersion, configs[members[j]].KafkaVersion) < 0
		})
		compared := comparedDays(configs, members)
		var notes []string
		anyValid, outcomes := false, map[string]bool{}
		for _, m := range members {
			day, ok := compared[m]
			if !ok {
				continue
			}
			cell := configs[m].days[day]
			outcomes[cell.Outcome] = true
			anyValid = anyValid || cell.Outcome == VerdictValid
			notes = append(notes, fmt.Sprintf("Kafka %s: %s (%s)", versionOrUnknown(configs[m].KafkaVersion), cell.Outcome, day))
		}
		if len(outcomes) < 2 {
			continue
		}
		for _, m := range members {
			configs[m].VersionNote = "Kafka versions differ — " + strings.Join(notes, "; ")
			if day, ok := compared[m]; ok {
				configs[m].Regression = anyValid && configs[m].days[day].rank == verdictRank[VerdictInvalid]
			}
		}
	}
}

// comparedDays picks the day each member's outcome is compared on: the latest day two or more
// members ran (members without runs that day are left out), or else each one's latest day.
func comparedDays(configs []configHistory, members []int) map[int]string {
	ran := map[string]int{}
	common := ""
	for _, m := range members {
		for _, day := range configs[m].order {
			if ran[day]++; ran[day] >= 2 && day > common {
				common = day
			}
		}
	}
	out := map[int]string{}
	for _, m := range members {
		switch c := configs[m]; {
		case common == "":
			out[m] = c.order[len(c.order)-1]
		case c.days[common] != nil:
			out[m] = common
		}
	}
	return out
}

func versionOrUnknown(v string) string {
	if v == "" {
		return "version unknown"
	}
	return v
}

// runDetail is a run's anomaly counts and time to recover, in a few words.
func runDetail(e IndexEntry) string {
	var parts []string
	for _, t := range sortedCounts(e.Anomalies) {
		parts = append(parts, fmt.Sprintf("%s %d", t, e.Anomalies[t]))
	}
	if u := e.Unavailability; u != nil {
		if u.Recovered > 0 {
			parts = append(parts, fmt.Sprintf("recover max %.1f s, mean %.1f s", u.MaxRecoverSeconds, u.MeanRecoverSeconds))
		}
		if u.NeverRecovered > 0 {
			parts = append(parts, fmt.Sprintf("%d fault(s) with no ok send after them while the workload ran", u.NeverRecovered))
		}
	}
	return strings.Join(parts, " · ")
}

// sortedCounts lists the types with a count, most first, then by name.
func sortedCounts(counts map[string]int) []string {
	var types []string
	for t, n := range counts {
		if n > 0 {
			types = append(types, t)
		}
	}
	sort.Slice(types, func(i, j int) bool {
		if counts[types[i]] != counts[types[j]] {
			return counts[types[i]] > counts[types[j]]
		}
		return types[i] < types[j]
	})
	return types
}

// labelWithoutVersion drops the label's first part, the Kafka version.
func labelWithoutVersion(label string) string {
	_, rest, _ := strings.Cut(label, " · ")
	return rest
}

// compareVersions orders dotted versions numerically ("3.9.2" < "3.10.0"), then as text.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil && na != nb:
			return na - nb
		case (ea != nil || eb != nil) && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return len(pa) - len(pb)
}
