package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

func writeReport(t *testing.T) (dir, page string) {
	t.Helper()
	dir = syntheticRun(t)
	return dir, renderPage(t, dir)
}

func TestReportStructure(t *testing.T) {
	dir, page := writeReport(t)
	for _, want := range []string{`id="summary"`, `id="parameters"`, `id="plots"`, `id="faults"`, `id="anomalies"`,
		`id="operations"`, `id="files"`, `id="command"`, `id="latency-send"`, `id="latency-poll"`, `id="throughput"`,
		`id="timeline"`, `id="anomaly-lost-write"`, `id="anomaly-inconsistent-offsets"`, `id="anomaly-nonlinearizable"`,
		`id="anomaly-unclean-election"`, "kafkaesque run --seed 42", "min.insync.replicas", "10.199.1.12",
		`href="nodes/kafka2.log"`, `class="election-context"`, "not in the ISR when the write was acknowledged",
		`class="linviz" href="linearizability/`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	// Every op an example links to is on the page.
	links := regexp.MustCompile(`href="#(op-\d+)"`).FindAllStringSubmatch(page, -1)
	if len(links) == 0 {
		t.Fatal("no links to ops")
	}
	for _, l := range links {
		if !strings.Contains(page, `id="`+l[1]+`"`) {
			t.Errorf("link to %s has no target", l[1])
		}
	}
	// Every fault is a band on every time plot.
	for _, plot := range []string{"latency-send", "latency-poll", "throughput", "timeline"} {
		start := strings.Index(page, `<figure id="`+plot+`"`)
		end := start + strings.Index(page[start:], "</figure>")
		fig := page[start:end]
		for _, fault := range []string{"kill", "partition"} {
			if n := strings.Count(fig, `data-fault="`+fault+`"`); n != 1 {
				t.Errorf("plot %s: %d bands for %s, want 1", plot, n, fault)
			}
		}
	}
	if !strings.Contains(page, `class="ctl"`) {
		t.Error("timeline marks no controller change")
	}
	links2, _ := filepath.Glob(filepath.Join(dir, rundir.LinVizDir, "*.html"))
	if len(links2) == 0 {
		t.Error("no porcupine visualization written")
	} else if viz, _ := os.ReadFile(links2[0]); !bytes.Contains(viz, []byte(`"Tag":"faults"`)) {
		t.Error("the visualization has no fault annotations")
	}
}

func TestPayloadIsEscaped(t *testing.T) {
	_, page := writeReport(t)
	if strings.Contains(page, xssValue) {
		t.Fatal("a payload value appears unescaped in the report")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the payload value is not shown as text")
	}
	if strings.Count(page, "<script") != 0 {
		t.Error("the report contains a script element")
	}
}

func TestJUnit(t *testing.T) {
	dir, _ := writeReport(t)
	doc := readJUnit(t, dir)
	cases := map[string]junitCase{}
	for _, c := range doc.Suites[0].Cases {
		cases[c.Name] = c
	}
	if len(cases) != len(checker.AnomalyTypes)+1 {
		t.Errorf("%d testcases, want one per anomaly type and the verdict", len(cases))
	}
	for name, failing := range map[string]bool{"lost-write": true, "unclean-election": true, "verdict": true, "duplicate": false, "multiple-controllers": false} {
		if got := cases[name].Failure != nil; got != failing {
			t.Errorf("%s: failure %v, want %v", name, got, failing)
		}
	}
	if cases["unclean-election"].Classname != "kafkaesque.elections" {
		t.Errorf("election invariant in class %q", cases["unclean-election"].Classname)
	}
}

func TestJUnitAllowedAndUnknown(t *testing.T) {
	res := &checker.Result{Valid: checker.Unknown, Incomplete: []string{"time limit"}, Allowed: []checker.AnomalyType{checker.Duplicate},
		Anomalies: map[checker.AnomalyType][]checker.Anomaly{checker.Duplicate: {{Type: checker.Duplicate, Key: "t-0"}}}}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "s", res, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `failures="0"`) || !strings.Contains(out, `errors="1"`) || !strings.Contains(out, `skipped="6"`) {
		t.Errorf("allowed duplicate must pass, unknown verdict error, election checks skipped:\n%s", out)
	}
}

// The KRaft invariants are election-log invariants: their own class, and skipped without a log.
func TestJUnitKRaftElectionTypes(t *testing.T) {
	kraft := []checker.AnomalyType{checker.StaleQuorumLeader, checker.HWAdvancedBelowMinISR}
	res := &checker.Result{Valid: checker.Invalid, Anomalies: map[checker.AnomalyType][]checker.Anomaly{
		checker.StaleQuorumLeader: {{Type: checker.StaleQuorumLeader, Explanation: "node 101 went on answering as leader"}}}}
	for _, checked := range []bool{true, false} {
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, "s", res, checked); err != nil {
			t.Fatal(err)
		}
		var doc junitSuites
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		cases := map[string]junitCase{}
		for _, c := range doc.Suites[0].Cases {
			cases[c.Name] = c
		}
		for _, typ := range kraft {
			c, ok := cases[string(typ)]
			if !ok || c.Classname != "kafkaesque.elections" {
				t.Errorf("%s: testcase %v in class %q, want one in kafkaesque.elections", typ, ok, c.Classname)
			}
		}
		if cases[string(checker.StaleQuorumLeader)].Failure == nil {
			t.Error("stale-quorum-leader occurred but its testcase does not fail")
		}
		hw := cases[string(checker.HWAdvancedBelowMinISR)]
		if skipped := hw.Skipped != nil; skipped == checked || hw.Failure != nil {
			t.Errorf("election log checked %v: hw-advanced-below-min-isr skipped %v, failure %v", checked, skipped, hw.Failure)
		}
	}
}

func TestIndexListsRunsNewestFirst(t *testing.T) {
	dir, _ := writeReport(t)
	results := filepath.Dir(dir)
	older := filepath.Join(results, "aaa-older")
	if err := os.Mkdir(older, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(older, rundir.ConfigFile), []byte(`{"started":"2020-01-01T00:00:00Z","run_id":"old"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(results, "not-a-run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(results); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(results, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	newer, old := strings.Index(page, filepath.Base(dir)+"/index.html"), strings.Index(page, "aaa-older/")
	if newer < 0 || old < 0 || newer > old {
		t.Errorf("runs missing or not newest first (new at %d, old at %d)", newer, old)
	}
	if strings.Contains(page, "not-a-run") {
		t.Error("an empty directory is listed as a run")
	}
	if !strings.Contains(page, "lost-write: 50") || !strings.Contains(page, "acks=all") {
		t.Error("index lacks anomaly counts or parameters")
	}
}

func TestReportToleratesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), []byte(`{"valid":true,"anomalies":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, rundir.ReportFile))
	if !strings.Contains(string(page), "no config.json") || !strings.Contains(string(page), "Could not read") {
		t.Error("missing files are not reported on the page")
	}
}
