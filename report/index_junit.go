package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteRunsJUnit writes a JUnit XML report of many runs (a sweep's): one testsuite named suite,
// one testcase per run named by its directory, classed by its sweep cell or else its
// configuration. An invalid run fails with its anomaly counts; an unknown or unchecked one is an
// error with the reasons; a valid one passes.
func WriteRunsJUnit(w io.Writer, suite string, entries []IndexEntry) error {
	s := junitSuite{Name: suite}
	var seconds float64
	for _, e := range entries {
		c := junitCase{Name: e.Run, Classname: e.ConfigurationLabel, Time: fmt.Sprintf("%.3f", e.DurationSeconds)}
		if e.Sweep != nil && e.Sweep.Cell != "" {
			c.Classname = e.Sweep.Cell
		}
		if c.Classname == "" {
			c.Classname = "kafkaesque.runs"
		}
		seconds += e.DurationSeconds
		switch e.Verdict {
		case VerdictValid:
		case VerdictInvalid:
			c.Failure = &junitMessage{Message: "invalid: " + anomalyCounts(e), Type: VerdictInvalid, Text: runText(e)}
			s.Failures++
		default:
			msg := e.Verdict
			if len(e.Why) > 0 {
				msg += ": " + e.Why[0]
			}
			c.Error = &junitMessage{Message: msg, Type: strings.ReplaceAll(e.Verdict, " ", "-"), Text: runText(e)}
			s.Errors++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	s.Time = fmt.Sprintf("%.3f", seconds)
	return encodeJUnit(w, s)
}

// anomalyCounts lists the anomalies that failed the run, most first: "lost-write 3, duplicate 1".
func anomalyCounts(e IndexEntry) string {
	allowed := map[string]bool{}
	for _, t := range e.Allowed {
		allowed[t] = true
	}
	var parts []string
	for _, t := range sortedCounts(e.Anomalies) {
		if !allowed[t] {
			parts = append(parts, fmt.Sprintf("%s %d", t, e.Anomalies[t]))
		}
	}
	if len(parts) == 0 {
		return "no anomaly counted that is not allowed"
	}
	return strings.Join(parts, ", ")
}

// runText is a testcase's text: the run's configuration, seed and the reasons for its verdict.
func runText(e IndexEntry) string {
	lines := []string{e.ConfigurationLabel, fmt.Sprintf("seed %d, started %s", e.Seed, e.Started)}
	if d := runDetail(e); d != "" {
		lines = append(lines, d)
	}
	return strings.Join(append(lines, e.Why...), "\n")
}
