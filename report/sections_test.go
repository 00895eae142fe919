package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// writeSectionsReport renders a synthetic run with the hand-made causes, lag and phantom read.
func writeSectionsReport(t *testing.T) (dir, page string, fx sectionsFixture) {
	t.Helper()
	dir = syntheticRun(t)
	fx = withNewSections(t, dir)
	return dir, renderPage(t, dir), fx
}

// section returns the text of the element with the given id up to the next </section>.
func section(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("page has no element %q", id)
	}
	end := strings.Index(page[start:], "</section>")
	if end < 0 {
		t.Fatalf("element %q is not in a section", id)
	}
	return page[start : start+end]
}

// hasOpRow says whether the page's table of cited ops has a row for op i.
func hasOpRow(page string, i int64) bool { return strings.Contains(page, fmt.Sprintf(`id="op-%d"`, i)) }

func TestCausesLeadTheAnomalies(t *testing.T) {
	_, page, fx := writeSectionsReport(t)
	anomalies := section(t, page, "anomalies")
	causes, perType := strings.Index(anomalies, `id="causes"`), strings.Index(anomalies, `class="anomaly"`)
	if causes < 0 || perType < 0 || causes > perType {
		t.Fatalf("the causes (at %d) do not come before the per-type details (at %d)", causes, perType)
	}
	if !strings.Contains(anomalies, "3 distinct causes, most damaging first") {
		t.Error("the anomaly section does not count the distinct causes")
	}
	// In the checker's order, most damaging first, in the summary and in the table.
	summary := section(t, page, "summary")
	if !strings.Contains(summary, "3 distinct causes") {
		t.Error("the summary does not lead with the distinct causes")
	}
	if counts := strings.Index(summary, "<table>"); counts >= 0 && strings.Index(summary, "distinct causes") > counts {
		t.Error("the summary shows the per-type counts before the causes")
	}
	for _, in := range []string{summary, anomalies} {
		prev := -1
		for _, c := range fx.causes {
			at := strings.Index(in, c.Summary)
			if at < 0 || at < prev {
				t.Errorf("cause %q missing or out of order", c.Summary)
			}
			prev = at
		}
	}
	if !strings.Contains(anomalies, "lost-write 12, inconsistent-offsets 3") || !strings.Contains(anomalies, fmt.Sprintf("%d..%d", fx.causes[0].Offsets[0], fx.causes[0].Offsets[1])) {
		t.Error("a cause's counts per type or offset range are missing")
	}
	// Each cause links to its ops, and the ops are on the page.
	for _, c := range fx.causes {
		for _, op := range c.Ops {
			if !strings.Contains(anomalies, fmt.Sprintf(`href="#op-%d"`, op)) || !hasOpRow(page, op) {
				t.Errorf("cause %q: no link to op %d, or no row for it", c.Summary, op)
			}
		}
	}
}

func TestLagIsATableNotAFailure(t *testing.T) {
	dir, page, fx := writeSectionsReport(t)
	lag := section(t, page, "lag")
	if !strings.Contains(lag, "never a failure") {
		t.Error("the lag section does not say it is a measurement")
	}
	if n := strings.Count(lag, `class="lag-row"`); n != len(fx.lag) {
		t.Fatalf("%d lag rows, want %d", n, len(fx.lag))
	}
	// Partitions in order, each with its worst lag, its poll and the source of its measure.
	prev := -1
	for _, key := range []string{"jepsen-0", "jepsen-1", "jepsen-2"} {
		at := strings.Index(lag, ">"+key+"<")
		if at < prev {
			t.Errorf("lag rows not in partition order at %s", key)
		}
		prev = at
	}
	for _, l := range fx.lag {
		if !strings.Contains(lag, fmt.Sprintf("%.3f", l.WorstSeconds)) || !strings.Contains(lag, fmt.Sprintf(`href="#op-%d"`, l.Op)) || !hasOpRow(page, l.Op) {
			t.Errorf("lag of %s: value or poll link missing", l.Key)
		}
	}
	if !strings.Contains(lag, "high watermark") || !strings.Contains(lag, "last offset read") {
		t.Error("the lag table does not say what each measure was taken from")
	}
	// Lag is no anomaly: it has no count row, no JUnit testcase.
	if strings.Contains(section(t, page, "summary"), ">lag<") {
		t.Error("lag is counted as an anomaly")
	}
	junit, err := os.ReadFile(filepath.Join(dir, rundir.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(junit), "lag") {
		t.Error("lag appears in the JUnit report")
	}
}

func TestPhantomReadRendersLikeTheOthers(t *testing.T) {
	dir, page, fx := writeSectionsReport(t)
	sec := section(t, page, "anomaly-phantom-read")
	if !strings.Contains(section(t, page, "summary"), `href="#anomaly-phantom-read"`) {
		t.Error("phantom-read has no count row in the summary")
	}
	for _, want := range []string{
		fmt.Sprintf("op %d: poll of jepsen-0 read", fx.phantomPoll), "offset 100000", "sent to jepsen-2",
		fmt.Sprintf(`href="#op-%d"`, fx.phantomPoll), fmt.Sprintf(`href="#op-%d"`, fx.phantomSend),
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("phantom-read example lacks %s", want)
		}
	}
	// The ops table shows where the value was sent: the send's own key.
	if !strings.Contains(sec, `<td class="mono">jepsen-2</td>`) {
		t.Error("the phantom read's send, to jepsen-2, is not in the example's ops")
	}
	if !hasOpRow(page, fx.phantomPoll) || !hasOpRow(page, fx.phantomSend) {
		t.Error("the phantom read's ops are not in the table of cited ops")
	}
	for _, c := range readJUnit(t, dir).Suites[0].Cases {
		if c.Name == "phantom-read" && (c.Failure == nil || !strings.Contains(c.Failure.Text, "sent to jepsen-2")) {
			t.Errorf("phantom-read's JUnit testcase does not fail with its explanation: %+v", c)
		}
	}
}
