package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// indexRow is one run in results/index.html.
type indexRow struct {
	Name         string
	Href         string
	Started      string
	sortTime     time.Time
	Verdict      string
	VerdictClass string
	Why          []string // why the verdict is unknown, or the run was not checked
	Faults       []string // the faults injected, counted by name ("kill-leader ×3 (1 failed)")
	FaultsError  string   // the history could not be read for them
	Causes       int
	Anomalies    []keyValue
	Params       string
}

// WriteIndex writes resultsDir/index.html listing every run directory in it, newest first.
// A directory counts as a run if it holds results.json, config.json or history.jsonl.
// It refuses (ErrNotResultsDir) to replace an index.html that is not a results index, or to
// write into a run directory, whose index.html is the run's report.
func WriteIndex(resultsDir string) error {
	if err := indexWritable(resultsDir); err != nil {
		return err
	}
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		return fmt.Errorf("results index: %w", err)
	}
	var rows []indexRow
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(resultsDir, e.Name())
		if row, ok := indexEntry(dir, e.Name()); ok {
			rows = append(rows, row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].sortTime.Equal(rows[j].sortTime) {
			return rows[i].sortTime.After(rows[j].sortTime)
		}
		return rows[i].Name > rows[j].Name
	})
	var page bytes.Buffer
	view := struct {
		Title     string
		Generated string
		Runs      []indexRow
	}{indexTitle, time.Now().UTC().Format(time.RFC3339), rows}
	if err := pageTemplates.ExecuteTemplate(&page, "index.html.tmpl", view); err != nil {
		return fmt.Errorf("render results index: %w", err)
	}
	return writeFileAtomic(filepath.Join(resultsDir, rundir.ReportFile), page.Bytes())
}

func indexEntry(dir, name string) (indexRow, bool) {
	row := indexRow{Name: name, Href: name + "/", Verdict: "not checked", VerdictClass: "verdict-none"}
	found := false
	for _, f := range []string{rundir.ResultsFile, rundir.ConfigFile, rundir.HistoryFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
			found = true
			if row.sortTime.IsZero() || st.ModTime().Before(row.sortTime) {
				row.sortTime = st.ModTime()
			}
		}
	}
	if !found {
		return row, false
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ReportFile)); err == nil {
		row.Href = name + "/" + rundir.ReportFile
	}
	if cfg, err := rundir.LoadConfig(dir); err == nil && cfg != nil {
		if !cfg.Started.IsZero() {
			row.sortTime = cfg.Started
		}
		cl := cfg.EffectiveCluster()
		w := cfg.Spec.Workload
		faults := strings.Join(cfg.Spec.Faults, ",")
		if faults == "" {
			faults = "none"
		}
		version := "Kafka " + cfg.KafkaVersion()
		if cfg.KafkaVersion() == "" {
			version = "Kafka version unknown"
		}
		row.Params = fmt.Sprintf("%s · %s · %d brokers · %d partitions RF %d acks=%s%s · faults planned: %s · %s · seed %d",
			version, modeShort(cfg), cl.Brokers, w.Partitions, w.ReplicationFactor, cfg.Acks(), cfg.ClientTag(), faults, cfg.Spec.TimeLimit, cfg.Seed)
	}
	row.Started = row.sortTime.UTC().Format("2006-01-02 15:04:05")
	res, hasVerdict, err := rundir.LoadResult(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		row.Why = rundir.MissingResults(dir)
	case err != nil:
		row.Verdict, row.VerdictClass, row.Why = "unknown", "verdict-unknown", []string{err.Error()}
	}
	faults, err := rundir.InjectedFaults(dir, res)
	if err != nil {
		row.FaultsError = err.Error()
	}
	for _, c := range runcheck.CountFaults(faults) {
		row.Faults = append(row.Faults, c.String())
	}
	if res != nil {
		row.Verdict, row.VerdictClass = res.Valid.String(), "verdict-"+res.Valid.String()
		row.Why, row.Causes = rundir.VerdictReasons(res, hasVerdict), len(res.Causes)
		allowed := map[checker.AnomalyType]bool{}
		for _, t := range res.Allowed {
			allowed[t] = true
		}
		for _, t := range anomalyOrder(res) {
			label := string(t)
			if allowed[t] {
				label += " (allowed)"
			}
			row.Anomalies = append(row.Anomalies, keyValue{label, fmt.Sprint(len(res.Anomalies[t]))})
		}
	}
	return row, true
}

// indexTitle is the results index's title; its <title> tells a page WriteIndex wrote.
const indexTitle = "Kafkaesque runs"

// ErrNotResultsDir is WriteIndex's refusal to write where its page would replace another.
var ErrNotResultsDir = errors.New("not a directory of run directories")

// indexWritable checks that resultsDir is no run directory and that its index.html, if any, is
// a results index.
func indexWritable(resultsDir string) error {
	for _, f := range []string{rundir.ResultsFile, rundir.ConfigFile, rundir.HistoryFile} {
		if _, err := os.Stat(filepath.Join(resultsDir, f)); err == nil {
			return fmt.Errorf("%w: %s holds %s, so it is a run directory and its %s is the run's report", ErrNotResultsDir, resultsDir, f, rundir.ReportFile)
		}
	}
	page, err := os.ReadFile(filepath.Join(resultsDir, rundir.ReportFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("results index: %w", err)
	case !bytes.Contains(page, []byte("<title>"+indexTitle+"</title>")):
		return fmt.Errorf("%w: %s is not a results index: not replacing it", ErrNotResultsDir, filepath.Join(resultsDir, rundir.ReportFile))
	}
	return nil
}
