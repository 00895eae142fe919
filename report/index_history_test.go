package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// historyOf writes the index of results and returns its history grid and page.
func historyOf(t *testing.T, results string) (historyView, string) {
	t.Helper()
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	runs, _, err := scanRuns(results, indexCache{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(results, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	return buildHistory(runs, historyDays), string(page)
}

// A configuration valid on day 1 and invalid on day 2 shows both days and marks the change; two
// other configurations, one valid on day 1 and one invalid on day 2, are a near miss: no change.
func TestHistoryMarksAVerdictChangeOfOneConfiguration(t *testing.T) {
	results := t.TempDir()
	lost := map[checker.AnomalyType]int{checker.LostWrite: 7}
	impact := []checker.FaultImpact{{Fault: "kill", Start: sec(5), SendsOKAfter: secs(3.25)}}
	writeFakeRun(t, results, "cfg-day1", fakeRun{started: day(1), seed: 1, verdict: checker.Valid, faults: impact})
	writeFakeRun(t, results, "cfg-day2", fakeRun{started: day(2), seed: 2, verdict: checker.Invalid, anomalies: lost})
	writeFakeRun(t, results, "cfg-day2-again", fakeRun{started: day(2).Add(3600e9), seed: 3, verdict: checker.Invalid, anomalies: lost})
	// The near miss: acks=1 valid on day 1, and a one-partition-limit configuration invalid on day 2.
	writeFakeRun(t, results, "other-day1", fakeRun{started: day(1), seed: 1, acks: "1", verdict: checker.Valid})
	writeFakeRun(t, results, "third-day2", fakeRun{started: day(2), seed: 1, acks: "1", verdict: checker.Invalid, anomalies: lost,
		extraSpec: map[string]any{"RecoveryLimit": 30e9}})

	h, page := historyOf(t, results)
	if want := []string{"2025-11-01", "2025-11-02"}; strings.Join(h.Days, ",") != strings.Join(want, ",") {
		t.Fatalf("days %v, want %v", h.Days, want)
	}
	if len(h.Configs) != 3 {
		t.Fatalf("%d configurations, want 3", len(h.Configs))
	}
	changed := 0
	for _, c := range h.Configs {
		for i, cell := range c.Cells {
			if cell.ChangedFrom == "" {
				continue
			}
			changed++
			if c.Runs != 3 || i != 1 || cell.ChangedFrom != VerdictValid || cell.Outcome != VerdictInvalid || len(cell.Runs) != 2 {
				t.Errorf("change marked on %s day %s: from %q to %q", c.Label, h.Days[i], cell.ChangedFrom, cell.Outcome)
			}
		}
		if c.Runs == 3 && (len(c.Cells[0].Runs) != 1 || c.Cells[0].Outcome != VerdictValid) {
			t.Errorf("day 1 of the changing configuration: %+v", c.Cells[0])
		}
	}
	if changed != 1 {
		t.Errorf("%d changes marked, want 1 (the near miss must not be one)", changed)
	}

	// The page shows both days' verdicts of the configuration and marks the change once.
	if n := strings.Count(page, `class="changed"`); n != 1 || !strings.Contains(page, "changed: was valid") {
		t.Errorf("page marks %d changes, want 1 saying it was valid", n)
	}
	row := regexp.MustCompile(`(?s)<tr class="config"[^>]*>.*?</tr>`)
	found := false
	for _, r := range row.FindAllString(page, -1) {
		if strings.Contains(r, "cfg-day1") {
			found = true
			for _, want := range []string{"cfg-day2", "cfg-day2-again", "verdict-valid", "verdict-invalid", "lost-write 7", "recover max 3.2 s", `class="changed"`} {
				if !strings.Contains(r, want) {
					t.Errorf("the configuration's row lacks %q", want)
				}
			}
		}
	}
	if !found {
		t.Error("no history row holds cfg-day1")
	}
	if !strings.Contains(page, `id="runs"`) || strings.Count(page, `<tr class="run">`) != 5 {
		t.Error("the flat list of runs is missing or incomplete")
	}
}

// A configuration's Kafka versions that disagree are flagged, the one that lost data where
// another's runs were valid as the regression; versions that agree on their latest common day,
// or different configurations that disagree, are not.
func TestHistoryFlagsKafkaVersionsThatDisagree(t *testing.T) {
	results := t.TempDir()
	lost := map[checker.AnomalyType]int{checker.LostWrite: 2}
	limit := func(ns float64) map[string]any { return map[string]any{"RecoveryLimit": ns} }
	// acks=all: 3.9.2 valid, 4.4.0 invalid (its first night valid: the latest night counts).
	writeFakeRun(t, results, "all-392", fakeRun{started: day(2), verdict: checker.Valid})
	writeFakeRun(t, results, "all-440-d1", fakeRun{started: day(1), version: "4.4.0", verdict: checker.Valid})
	writeFakeRun(t, results, "all-440-d2", fakeRun{started: day(2), version: "4.4.0", verdict: checker.Invalid, anomalies: lost})
	// acks=1: both versions invalid on day 2; 3.9.2's later unknown run has nothing to compare with.
	writeFakeRun(t, results, "one-392", fakeRun{started: day(2), acks: "1", verdict: checker.Invalid, anomalies: lost})
	writeFakeRun(t, results, "one-392-d3", fakeRun{started: day(3), acks: "1", verdict: checker.Unknown})
	writeFakeRun(t, results, "one-440", fakeRun{started: day(2), acks: "1", version: "4.4.0", verdict: checker.Invalid, anomalies: lost})
	// Valid against unknown: the versions differ, but neither lost data.
	writeFakeRun(t, results, "unk-392", fakeRun{started: day(2), verdict: checker.Valid, extraSpec: limit(45e9)})
	writeFakeRun(t, results, "unk-440", fakeRun{started: day(2), version: "4.4.0", verdict: checker.Unknown, extraSpec: limit(45e9)})
	// A near miss: another configuration on 3.7.0, valid beside the invalid 4.4.0s.
	writeFakeRun(t, results, "limit-370", fakeRun{started: day(2), version: "3.7.0", verdict: checker.Valid, extraSpec: limit(30e9)})

	h, page := historyOf(t, results)
	if len(h.Configs) != 7 {
		t.Fatalf("%d configurations, want 7", len(h.Configs))
	}
	type flags struct {
		noted, regression bool
	}
	want := map[string]flags{"all-392": {true, false}, "all-440-d1": {true, true}, "one-392": {}, "one-440": {},
		"unk-392": {true, false}, "unk-440": {true, false}, "limit-370": {}}
	var allOrder []string
	for _, c := range h.Configs {
		first := ""
		for _, cell := range c.Cells {
			if first == "" && len(cell.Runs) > 0 {
				first = cell.Runs[0].Name
			}
		}
		if got := (flags{c.VersionNote != "", c.Regression}); got != want[first] {
			t.Errorf("%s (%s): version note %q, regression %v; want %+v", first, c.Label, c.VersionNote, c.Regression, want[first])
		}
		if strings.HasPrefix(first, "all-") {
			allOrder = append(allOrder, c.KafkaVersion)
			for _, s := range []string{"Kafka 3.9.2: valid (2025-11-02)", "Kafka 4.4.0: invalid (2025-11-02)"} {
				if !strings.Contains(c.VersionNote, s) {
					t.Errorf("%s: version note %q lacks %q", first, c.VersionNote, s)
				}
			}
		}
	}
	if n := strings.Count(page, `class="config regression"`); n != 1 {
		t.Errorf("page highlights %d rows, want 1", n)
	}
	// Rows of one configuration's versions sit together, oldest version first.
	if strings.Join(allOrder, ",") != "3.9.2,4.4.0" {
		t.Errorf("acks=all rows in order %v", allOrder)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		less bool
	}{{"3.9.2", "3.10.0", true}, {"3.9.2", "4.4.0", true}, {"4.4.0", "3.9.2", false}, {"3.9", "3.9.1", true}, {"3.9.1", "3.9.1", false}} {
		if got := compareVersions(c.a, c.b) < 0; got != c.less {
			t.Errorf("compareVersions(%s, %s) < 0 = %v", c.a, c.b, got)
		}
	}
}
