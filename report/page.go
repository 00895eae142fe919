package report

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
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
	r, err := load(ctx, runDir)
	if err != nil {
		return err
	}
	links, err := writeLinViz(ctx, r)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("linearizability visualization: %v", err))
	}
	var page bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&page, "report.html.tmpl", buildPage(r, links)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(runDir, ReportFile), page.Bytes()); err != nil {
		return err
	}
	junitResult := *r.result
	if len(r.why) > 0 {
		junitResult.Incomplete = r.why // the unknown verdict's reasons, a missing results.json included
	}
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, suiteName(r), &junitResult, r.hasEvents); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, JUnitFile), junit.Bytes())
}

// load reads a run directory. Nothing is required: a run that stopped before its check has no
// results.json, and its page says so with an unknown verdict; what else is missing or broken is
// listed on the page. A results.json that cannot be decoded is an error.
func load(ctx context.Context, dir string) (*run, error) {
	res, hasVerdict, err := loadResult(dir)
	var why []string
	switch {
	case errors.Is(err, os.ErrNotExist):
		res, why = &checker.Result{Valid: checker.Unknown}, missingResults(dir)
	case err != nil:
		return nil, fmt.Errorf("report %s: %w", dir, err)
	default:
		why = verdictReasons(res, hasVerdict)
	}
	r := &run{dir: dir, result: res, why: why, scan: &historyScan{ops: map[int64]history.Op{}, partner: map[int64]int64{}}}
	if r.config, err = loadConfig(dir); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	if r.events, r.hasEvents, err = loadEvents(dir); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("history: %v", err))
		return r, nil
	}
	defer f.Close()
	scan, err := scanHistory(ctx, f, wantedOps(res))
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("report %s: %w", dir, err)
	}
	if err != nil {
		r.problems = append(r.problems, err.Error())
		return r, nil
	}
	r.scan = scan
	return r, nil
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
			if i == examplesPerType {
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

func suiteName(r *run) string {
	if r.config != nil && r.config.RunID != "" {
		return "kafkaesque." + r.config.RunID
	}
	return "kafkaesque." + filepath.Base(filepath.Clean(r.dir))
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
	Plots        []svgPlot
	// Controllers lists the controller's changes under the plots: ZooKeeper's /controller, or
	// in KRaft the quorum leader and its epoch.
	Controllers     []controllerRow
	ControllersMore int
	KRaft           bool
	FaultLegend     []legendItem
	Faults          []faultRow
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

func buildPage(r *run, links map[int]string) pageView {
	res := r.result
	name := filepath.Base(filepath.Clean(r.dir))
	if r.config != nil && r.config.RunID != "" {
		name = r.config.RunID
	}
	v := pageView{Title: "Kafkaesque run " + name, Verdict: res.Valid.String(),
		VerdictClass: "verdict-" + res.Valid.String(), Generated: time.Now().UTC().Format(time.RFC3339),
		Why: r.why, FaultsFailed: faultFailures(res.Faults), Lag: lagView(res.Lag),
		Warnings: append(slices.Clone(res.Warnings), r.scan.warnings...), Problems: r.problems}
	if len(r.why) == 0 {
		v.Incomplete = res.Incomplete
	}
	if len(res.Faults) == 0 {
		v.FaultsFailed = faultFailures(impactsOf(r.scan.faults))
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
	kinds := faultKinds(r.scan.faults)
	kraft, _ := r.config.kraft(r.events)
	v.FaultLegend = faultLegend(r.scan.faults, kinds)
	v.Plots = []svgPlot{
		latencyPlot("latency-send", "Send latency (by invocation time)", true, r.scan, kinds),
		latencyPlot("latency-poll", "Poll latency (by invocation time)", false, r.scan, kinds),
		throughputPlot(r.scan, kinds),
		timelinePlot(r.events, r.scan, kinds, r.config.brokerIDs(), kraft),
	}
	v.KRaft = kraft
	v.Controllers = controllerRows(r.events, v.KRaft)
	if n := len(v.Controllers); n > controllerRowsShown {
		v.Controllers, v.ControllersMore = v.Controllers[:controllerRowsShown], n-controllerRowsShown
	}
	v.Faults = faultRows(r, kinds)
	why := map[string]string{}
	if r.config != nil {
		why = r.config.Allowed
	}
	cited := slices.Concat(causeOps(res.Causes), lagOps(res.Lag))
	for _, t := range anomalyOrder(res) {
		sec := anomalySection{Type: string(t), Anchor: "anomaly-" + string(t), Count: len(res.Anomalies[t]), Allowed: allowed[t], Why: why[string(t)]}
		for i, a := range res.Anomalies[t] {
			if i == examplesPerType {
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
	v.Ops = opRows(cited, r.scan.ops)
	v.Files = files(r)
	v.Stats = stats(res)
	return v
}
