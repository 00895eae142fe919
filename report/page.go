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
	"strings"
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

// Write renders the run directory's report: index.html, junit.xml and, for keys that are not
// linearizable, porcupine visualizations under linearizability/. It needs results.json.
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
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, suiteName(r), r.result, r.hasEvents); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(runDir, JUnitFile), junit.Bytes())
}

// load reads a run directory. Only results.json is required; what else is missing or broken is
// listed on the page instead.
func load(ctx context.Context, dir string) (*run, error) {
	res, err := LoadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", dir, err)
	}
	r := &run{dir: dir, result: res, scan: &historyScan{ops: map[int64]history.Op{}, partner: map[int64]int64{}}}
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

// wantedOps are the ops of the examples shown and the faults' invocations.
func wantedOps(res *checker.Result) map[int64]bool {
	want := map[int64]bool{}
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
	Incomplete   []string
	Warnings     []string
	Problems     []string
	Params       []keyValue
	BrokerConfig []keyValue
	Topology     []keyValue
	Allowed      []keyValue
	Command      string
	Plots        []svgPlot
	FaultLegend  []legendItem
	Faults       []faultRow
	Anomalies    []anomalySection
	Ops          []opRow
	Files        []keyValue // name -> relative href
	Stats        []keyValue
}

type keyValue struct{ Key, Value string }

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

func buildPage(r *run, links map[string]string) pageView {
	res := r.result
	name := filepath.Base(filepath.Clean(r.dir))
	if r.config != nil && r.config.RunID != "" {
		name = r.config.RunID
	}
	v := pageView{Title: "Kafkaesque run " + name, Verdict: res.Valid.String(),
		VerdictClass: "verdict-" + res.Valid.String(), Generated: time.Now().UTC().Format(time.RFC3339),
		Incomplete: res.Incomplete, Warnings: append(slices.Clone(res.Warnings), r.scan.warnings...), Problems: r.problems}
	allowed := map[checker.AnomalyType]bool{}
	for _, t := range res.Allowed {
		allowed[t] = true
	}
	for _, t := range anomalyOrder(res) {
		v.Counts = append(v.Counts, countRow{Type: string(t), Anchor: "anomaly-" + string(t), Count: len(res.Anomalies[t]), Allowed: allowed[t]})
	}
	v.Params, v.BrokerConfig, v.Topology, v.Allowed, v.Command = params(r)
	kinds := faultKinds(r.scan.faults)
	v.FaultLegend = faultLegend(r.scan.faults, kinds)
	v.Plots = []svgPlot{
		latencyPlot("latency-send", "Send latency (by invocation time)", true, r.scan, kinds),
		latencyPlot("latency-poll", "Poll latency (by invocation time)", false, r.scan, kinds),
		throughputPlot(r.scan, kinds),
		timelinePlot(r.events, r.scan, kinds),
	}
	v.Faults = faultRows(r, kinds)
	why := map[string]string{}
	if r.config != nil {
		why = r.config.Allowed
	}
	var cited []int64
	for _, t := range anomalyOrder(res) {
		sec := anomalySection{Type: string(t), Anchor: "anomaly-" + string(t), Count: len(res.Anomalies[t]), Allowed: allowed[t], Why: why[string(t)]}
		for i, a := range res.Anomalies[t] {
			if i == examplesPerType {
				break
			}
			ex := buildExample(r, a, fmt.Sprintf("%s-%d", t, i+1))
			ex.LinViz = links[a.Key]
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

func params(r *run) (main, brokerConfig, topology, allowed []keyValue, command string) {
	add := func(k, val string) {
		if val != "" && val != "0" {
			main = append(main, keyValue{k, val})
		}
	}
	add("Duration (history)", fmt.Sprintf("%.2fs, %d lines", secondsOf(r.scan.end), r.scan.lines))
	c := r.config
	if c == nil {
		add("Configuration", "no config.json: parameters unknown")
		return
	}
	add("Run ID", c.RunID)
	if !c.Started.IsZero() {
		add("Started", c.Started.UTC().Format(time.RFC3339))
	}
	add("Seed", strconv.FormatInt(c.Seed, 10))
	if c.Spec.TimeLimit > 0 {
		add("Fault phase", c.Spec.TimeLimit.String())
	}
	cl := c.effectiveCluster()
	add("Cluster", fmt.Sprintf("%d brokers, %d ZooKeeper", cl.Brokers, cl.ZooKeepers))
	add("Image", cl.Image)
	w := c.Spec.Workload
	add("Workload", fmt.Sprintf("topic %s, %d partitions, RF %d, acks=%s, %d producers, %d consumers",
		w.Topic, w.Partitions, w.ReplicationFactor, c.acks(), w.Producers, w.Consumers))
	if w.MaxSends > 0 {
		add("Max sends", strconv.Itoa(w.MaxSends))
	}
	if w.Rate > 0 {
		add("Rate per producer", trimFloat(w.Rate)+"/s")
	}
	faults := strings.Join(c.Spec.Faults, ", ")
	if faults == "" {
		faults = "none"
	}
	add("Nemesis", faults)
	for _, k := range sortedKeys(cl.BrokerConfig) {
		brokerConfig = append(brokerConfig, keyValue{k, cl.BrokerConfig[k]})
	}
	for _, k := range sortedKeys(c.Topology) {
		topology = append(topology, keyValue{k, c.Topology[k]})
	}
	for _, k := range sortedKeys(c.Allowed) {
		allowed = append(allowed, keyValue{k, c.Allowed[k]})
	}
	return main, brokerConfig, topology, allowed, c.command()
}

func faultRows(r *run, kinds map[string]string) []faultRow {
	var rows []faultRow
	secs := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	for _, f := range r.result.Faults {
		row := faultRow{Fault: f.Fault, Nodes: strings.Join(f.Nodes, ", "), Key: f.Key, InvokeOp: f.InvokeOp,
			Start: fmt.Sprintf("%.2f", secondsOf(f.Start)), End: "–", Controller: secs(f.NewControllerAfter),
			Leader: secs(f.NewLeaderAfter), Coordinator: secs(f.NewCoordinatorAfter), SendsOK: secs(f.SendsOKAfter), Error: f.Error, KindClass: kinds[f.Fault]}
		_, row.HasOp = r.scan.ops[f.InvokeOp]
		if f.Recovered != nil {
			row.End = fmt.Sprintf("%.2f", secondsOf(*f.Recovered))
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		return rows
	}
	for _, f := range r.scan.faults { // no measurements in results.json: show what the history says
		row := faultRow{Fault: f.Fault, Nodes: strings.Join(f.Nodes, ", "), Key: f.Partition, InvokeOp: f.InvokeOp,
			Start: fmt.Sprintf("%.2f", secondsOf(f.Start)), End: fmt.Sprintf("%.2f", secondsOf(f.End)),
			Controller: "–", Leader: "–", SendsOK: "–", Error: f.Error, KindClass: kinds[f.Fault], Recovery: f.Ended}
		rows = append(rows, row)
	}
	return rows
}

func files(r *run) []keyValue {
	var out []keyValue
	for _, name := range []string{ConfigFile, HistoryFile, ElectionsFile, ResultsFile, JUnitFile} {
		if _, err := os.Stat(filepath.Join(r.dir, name)); err == nil || name == JUnitFile {
			out = append(out, keyValue{name, name})
		}
	}
	for _, l := range nodeLogs(r.dir) {
		out = append(out, keyValue{l, l})
	}
	return out
}

func stats(res *checker.Result) []keyValue {
	s := res.Stats
	return []keyValue{
		{"Ops read", strconv.FormatInt(s.Lines, 10)},
		{"Keys / values", fmt.Sprintf("%d / %d", s.Keys, s.Values)},
		{"Sends ok / fail / info", fmt.Sprintf("%d / %d / %d", s.SendsOK, s.SendsFail, s.SendsInfo)},
		{"Polls ok / fail / info", fmt.Sprintf("%d / %d / %d", s.PollsOK, s.PollsFail, s.PollsInfo)},
		{"Incomplete invocations", strconv.FormatInt(s.Incomplete, 10)},
		{"Linearizability", fmt.Sprintf("%d ops in %d segments, %.2fs", s.LinOps, s.LinSegments, s.LinSeconds)},
		{"Check time", fmt.Sprintf("%.2fs", s.DurationSeconds)},
	}
}
