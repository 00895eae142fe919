package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// Election-log invariants, reported as their own JUnit class.
var electionTypes = []checker.AnomalyType{
	checker.MultipleControllers, checker.ControllerEpochRegression, checker.LeaderEpochRegression, checker.UncleanElection,
	checker.StaleQuorumLeader, checker.HWAdvancedBelowMinISR,
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes a JUnit XML report of a result: one testcase per anomaly type (failing
// when it occurred and was not allowed), the election-log invariants (skipped when the run had
// no election log) and the overall verdict (an error when it is unknown).
func WriteJUnit(w io.Writer, suite string, res *checker.Result, electionsChecked bool) error {
	allowed := map[checker.AnomalyType]bool{}
	for _, t := range res.Allowed {
		allowed[t] = true
	}
	s := junitSuite{Name: suite, Time: fmt.Sprintf("%.3f", res.Stats.DurationSeconds)}
	types := slices.Clone(checker.AnomalyTypes)
	for t := range res.Anomalies {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	for _, t := range types {
		c := junitCase{Name: string(t), Classname: "kafkaesque.anomalies"}
		election := slices.Contains(electionTypes, t)
		if election {
			c.Classname = "kafkaesque.elections"
		}
		list := res.Anomalies[t]
		switch {
		case len(list) > 0 && !allowed[t]:
			c.Failure = &junitMessage{Message: fmt.Sprintf("%d %s anomalies", len(list), t), Type: string(t), Text: junitExamples(list)}
		case len(list) > 0:
			c.SystemOut = fmt.Sprintf("%d occurrences, allowed for this run\n%s", len(list), junitExamples(list))
		case election && !electionsChecked:
			c.Skipped = &junitMessage{Message: "no election log"}
		}
		s.Cases = append(s.Cases, c)
	}
	verdict := junitCase{Name: "verdict", Classname: "kafkaesque"}
	switch res.Valid {
	case checker.Invalid:
		verdict.Failure = &junitMessage{Message: "invalid: anomalies that are not allowed occurred", Type: "invalid"}
	case checker.Unknown:
		verdict.Error = &junitMessage{Message: "unknown: no verdict could be reached (see the text for why)", Type: "unknown", Text: strings.Join(res.Incomplete, "\n")}
	}
	s.Cases = append(s.Cases, verdict)
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	return encodeJUnit(w, s)
}

// encodeJUnit writes one suite as a JUnit XML document.
func encodeJUnit(w io.Writer, s junitSuite) error {
	doc := junitSuites{Name: "kafkaesque", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitExamples(list []checker.Anomaly) string {
	var b strings.Builder
	for i, a := range list {
		if i == rundir.ExamplesPerType {
			fmt.Fprintf(&b, "... %d more\n", len(list)-i)
			break
		}
		fmt.Fprintf(&b, "%s ops %v: %s\n", a.Key, a.Ops, a.Explanation)
	}
	return b.String()
}
