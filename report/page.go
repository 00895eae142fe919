// Package report renders a run directory as a self-contained HTML report (index.html), a JUnit
// file for CI (junit.xml) and porcupine visualizations of keys that are not linearizable. It
// reads only the run directory's files: data flows history -> checker -> report. The page is
// assembled here from its parts: report/rundir loads the directory, report/plot lays out the
// charts and report/linviz writes the porcupine pages.
package report

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/report/linviz"
	"github.com/kafkaesque/kafkaesque/report/plot"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

//go:embed templates/*
var templateFS embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"opAnchor": func(i int64) string { return "op-" + strconv.FormatInt(i, 10) },
	"sub":      func(a, b int) int { return a - b },
}).ParseFS(templateFS, "templates/*.tmpl"))

// Write renders the run directory's report: index.html, junit.xml and, for nonlinearizable
// anomalies, porcupine visualizations under linearizability/. A directory without results.json
// gets a page whose verdict is unknown and says why.
func Write(ctx context.Context, runDir string) error {
	r, err := rundir.Load(ctx, runDir, wantedOps)
	if err != nil {
		return err
	}
	links, err := linviz.Write(ctx, r)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("linearizability visualization: %v", err))
	}
	var page bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&page, "report.html.tmpl", buildPage(r, links)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(runDir, rundir.ReportFile), page.Bytes()); err != nil {
		return err
	}
	junitResult := *r.Result
	if len(r.Why) > 0 {
		junitResult.Incomplete = r.Why // the unknown verdict's reasons, a missing results.json included
	}
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, suiteName(r), &junitResult, r.HasEvents); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, rundir.JUnitFile), junit.Bytes())
}

// wantedOps are the ops of the examples and causes shown, the lag table's polls and the faults'
// invocations.
func wantedOps(res *checker.Result) map[int64]bool {
	want := map[int64]bool{}
	for _, op := range slices.Concat(causeOps(res.Causes), lagOps(res.Lag)) {
		want[op] = true
	}
	for _, list := range res.Anomalies {
		for i, a := range list {
			if i == rundir.ExamplesPerType {
				break
			}
			for _, op := range a.Ops {
				want[op] = true
			}
		}
	}
	for _, f := range res.Faults {
		if f.InvokeOp >= 0 {
			want[f.InvokeOp] = true
		}
	}
	return want
}

func suiteName(r *rundir.Run) string {
	if r.Config != nil && r.Config.RunID != "" {
		return "kafkaesque." + r.Config.RunID
	}
	return "kafkaesque." + filepath.Base(filepath.Clean(r.Dir))
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// faultFailures lists the injections and recoveries that failed: the faults that did not happen
// as planned, whatever the verdict.
func faultFailures(faults []checker.FaultImpact) []string {
	var out []string
	for _, f := range faults {
		what := rundir.FaultName(f.Fault, f.Nodes, f.Key)
		if f.Error != "" {
			out = append(out, fmt.Sprintf("injection of %s (op %d) failed: %s", what, f.InvokeOp, f.Error))
		}
		if f.RecoveryError != "" {
			out = append(out, fmt.Sprintf("recovery of %s (op %d) failed: %s", what, f.InvokeOp, f.RecoveryError))
		}
	}
	return out
}

// pageView is what report.html.tmpl renders.
type pageView struct {
	Title        string
	Verdict      string
	VerdictClass string
	Generated    string
	Counts       []countRow
	Why          []string // why the verdict is unknown
	FaultsFailed []string // injections and recoveries that failed
	Incomplete   []string // checks that could not finish, when the verdict is known anyway
	Causes       []causeRow
	MoreCauses   int
	Lag          []lagRow
	Warnings     []string
	Problems     []string
	Params       []keyValue
	BrokerConfig []keyValue
	Topology     []keyValue
	Allowed      []keyValue
	Command      string
	Plots        []plot.Plot
	// Controllers lists the controller's changes under the plots: ZooKeeper's /controller, or
	// in KRaft the quorum leader and its epoch.
	Controllers     []controllerRow
	ControllersMore int
	KRaft           bool
	FaultLegend     []plot.LegendItem
	Faults          []faultRow
	PowerFaults     bool // some fault cut power: the table shows the data and writes lost
	Anomalies       []anomalySection
	Ops             []opRow
	Files           []keyValue // name -> relative href
	Stats           []keyValue
}

type keyValue struct{ Key, Value string }

// controllerRowsShown bounds the controller changes listed; elections.jsonl holds them all.
const controllerRowsShown = 100

type countRow struct {
	Type    string
	Anchor  string
	Count   int
	Allowed bool
}

type faultRow struct {
	Fault, Nodes, Key   string
	InvokeOp            int64
	HasOp               bool
	Start, End          string
	Controller, Leader  string
	Coordinator         string
	SendsOK, Error      string
	KindClass, Recovery string
	// Power faults: what each node lost ("kafka1 212 KiB in 9 files, 0 entries; ...") and the
	// lost writes acknowledged since the previous power fault.
	DataLost, LostWrites string
}

// anomalyOrder lists the types that occurred: the checker's order first, then any others.
func anomalyOrder(res *checker.Result) []checker.AnomalyType {
	var out []checker.AnomalyType
	for _, t := range checker.AnomalyTypes {
		if len(res.Anomalies[t]) > 0 {
			out = append(out, t)
		}
	}
	var extra []checker.AnomalyType
	for t, list := range res.Anomalies {
		if len(list) > 0 && !slices.Contains(checker.AnomalyTypes, t) {
			extra = append(extra, t)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func buildPage(r *rundir.Run, links map[int]string) pageView {
	res := r.Result
	name := filepath.Base(filepath.Clean(r.Dir))
	if r.Config != nil && r.Config.RunID != "" {
		name = r.Config.RunID
	}
	v := pageView{Title: "Kafkaesque run " + name, Verdict: res.Valid.String(),
		VerdictClass: "verdict-" + res.Valid.String(), Generated: time.Now().UTC().Format(time.RFC3339),
		Why: r.Why, FaultsFailed: faultFailures(res.Faults), Lag: lagView(res.Lag),
		Warnings: append(slices.Clone(res.Warnings), r.Scan.Warnings...), Problems: r.Problems}
	if len(r.Why) == 0 {
		v.Incomplete = res.Incomplete
	}
	if len(res.Faults) == 0 {
		v.FaultsFailed = faultFailures(rundir.ImpactsOf(r.Scan.Faults))
	}
	v.Causes, v.MoreCauses = causesView(res.Causes)
	allowed := map[checker.AnomalyType]bool{}
	for _, t := range res.Allowed {
		allowed[t] = true
	}
	for _, t := range anomalyOrder(res) {
		v.Counts = append(v.Counts, countRow{Type: string(t), Anchor: "anomaly-" + string(t), Count: len(res.Anomalies[t]), Allowed: allowed[t]})
	}
	v.Params, v.BrokerConfig, v.Topology, v.Allowed, v.Command = params(r)
	kinds := plot.FaultKinds(r.Scan.Faults)
	kraft, _ := r.Config.KRaft(r.Events)
	v.FaultLegend = plot.FaultLegend(r.Scan.Faults, kinds)
	sendTitle, pollTitle := "Send latency (by invocation time)", "Poll latency (by invocation time)"
	if r.Scan.Txns.Total() > 0 {
		sendTitle, pollTitle = "Transaction latency (by invocation time)", "Poll latency of the final drain (by invocation time)"
	}
	v.Plots = []plot.Plot{
		plot.Latency("latency-send", sendTitle, true, r.Scan, kinds),
		plot.Latency("latency-poll", pollTitle, false, r.Scan, kinds),
		plot.Throughput(r.Scan, kinds),
		plot.Timeline(r.Events, r.Scan, kinds, r.Config.BrokerIDs(), kraft),
	}
	v.KRaft = kraft
	v.Controllers = controllerRows(r.Events, v.KRaft)
	if n := len(v.Controllers); n > controllerRowsShown {
		v.Controllers, v.ControllersMore = v.Controllers[:controllerRowsShown], n-controllerRowsShown
	}
	v.Faults = faultRows(r, kinds)
	v.PowerFaults = slices.ContainsFunc(v.Faults, func(f faultRow) bool { return f.DataLost != "" })
	why := map[string]string{}
	if r.Config != nil {
		why = r.Config.Allowed
	}
	cited := slices.Concat(causeOps(res.Causes), lagOps(res.Lag))
	for _, t := range anomalyOrder(res) {
		sec := anomalySection{Type: string(t), Anchor: "anomaly-" + string(t), Count: len(res.Anomalies[t]), Allowed: allowed[t], Why: why[string(t)]}
		for i, a := range res.Anomalies[t] {
			if i == rundir.ExamplesPerType {
				break
			}
			ex := buildExample(r, a, fmt.Sprintf("%s-%d", t, i+1))
			if t == checker.Nonlinearizable {
				ex.LinViz = links[i]
			}
			for _, op := range ex.Ops {
				cited = append(cited, op.Row.Index)
			}
			sec.Examples = append(sec.Examples, ex)
		}
		v.Anomalies = append(v.Anomalies, sec)
	}
	for _, f := range v.Faults {
		if f.HasOp {
			cited = append(cited, f.InvokeOp)
		}
	}
	v.Ops = opRows(cited, r.Scan.Ops)
	v.Files = files(r)
	v.Stats = append(txnStats(r.Scan.Txns), stats(res)...)
	return v
}
