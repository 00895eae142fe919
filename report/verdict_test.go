package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// writeRunDir writes a run directory's files (name -> content) under a fresh results directory.
func writeRunDir(t *testing.T, files map[string]string) (dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "run-1")
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pages renders the run's page and its results index and returns both.
func pages(t *testing.T, dir string) (page, index string) {
	t.Helper()
	page = renderPage(t, dir)
	if err := WriteIndex(filepath.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	i, err := os.ReadFile(filepath.Join(filepath.Dir(dir), rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	return page, string(i)
}

func requireUnknown(t *testing.T, what, html string, reasons ...string) {
	t.Helper()
	if strings.Contains(html, `verdict verdict-valid"`) || !strings.Contains(html, `verdict-unknown">unknown<`) {
		t.Errorf("%s does not show the verdict as unknown", what)
	}
	for _, r := range reasons {
		if !strings.Contains(html, r) {
			t.Errorf("%s does not say why: lacks %q", what, r)
		}
	}
}

// A results.json without "valid" is never shown as valid: unknown, with the reason.
func TestResultsWithoutVerdictAreUnknown(t *testing.T) {
	dir := writeRunDir(t, map[string]string{rundir.ResultsFile: `{"anomalies":{},"stats":{"lines":10}}`})
	page, index := pages(t, dir)
	requireUnknown(t, "the page", page, `has no verdict (no &#34;valid&#34; field)`)
	requireUnknown(t, "the index", index, `has no verdict (no &#34;valid&#34; field)`)
	junit, err := os.ReadFile(filepath.Join(dir, rundir.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(junit), `errors="1"`) || !strings.Contains(string(junit), "has no verdict") {
		t.Errorf("JUnit does not make the missing verdict an error with its reason:\n%s", junit)
	}
	// The near miss: an explicit verdict is shown as it is, with no reason.
	valid := writeRunDir(t, map[string]string{rundir.ResultsFile: `{"valid":true,"anomalies":{}}`})
	page, index = pages(t, valid)
	if !strings.Contains(page, `verdict-valid">valid<`) || !strings.Contains(index, `verdict-valid">valid<`) || strings.Contains(page, `id="why"`) {
		t.Error("a valid results.json is not shown as valid, or is given a reason")
	}
}

// A run whose checks could not finish says why, on its page and in the index.
func TestUnknownVerdictShowsItsReasons(t *testing.T) {
	dir := writeRunDir(t, map[string]string{rundir.ResultsFile: `{"valid":"unknown","anomalies":{},"incomplete":["the final drain did not reach the high watermark of t-1"]}`})
	page, index := pages(t, dir)
	requireUnknown(t, "the page", page, "the final drain did not reach the high watermark of t-1")
	requireUnknown(t, "the index", index, "the final drain did not reach the high watermark of t-1")
	if !strings.Contains(page, `id="why"`) {
		t.Error("the page has no explanation block for the unknown verdict")
	}
	bare := writeRunDir(t, map[string]string{rundir.ResultsFile: `{"valid":"unknown","anomalies":{}}`})
	page, index = pages(t, bare)
	requireUnknown(t, "the page", page, "without a reason")
	requireUnknown(t, "the index", index, "without a reason")
}

// A run that stopped before its check has a page and an index row that say so, with the
// faults it injected (a failed injection marked).
func TestRunWithoutResultsShowsWhy(t *testing.T) {
	hist := nemesisLine(0, 1, history.Invoke, "kill-leader", `{"fault":"kill-leader"}`, "") +
		nemesisLine(1, 1.2, history.Info, "kill-leader", `{"fault":"kill-leader","nodes":["kafka2"]}`, "") +
		nemesisLine(2, 5, history.Invoke, "recover", `{"fault":"kill-leader"}`, "") +
		nemesisLine(3, 5.5, history.Info, "recover", `{"fault":"kill-leader"}`, "") +
		nemesisLine(4, 6, history.Invoke, "kill-leader", `{"fault":"kill-leader"}`, "") +
		nemesisLine(5, 6.1, history.Info, "kill-leader", `{"fault":"kill-leader"}`, "no leader to kill") +
		nemesisLine(6, 7, history.Invoke, "pause-leader", `{"fault":"pause-leader"}`, "") +
		`{"index":7,"time":7100000000,"process":-1,"ty` // cut off by the crash
	dir := writeRunDir(t, map[string]string{
		rundir.HistoryFile: hist,
		rundir.ConfigFile:  `{"run_id":"run-1","spec":{"Faults":["kill-leader","pause-leader"]},"topology":{"kafka1":"10.199.1.11"}}`,
	})
	page, index := pages(t, dir)
	requireUnknown(t, "the page", page, "no results.json: the run stopped before it was checked")
	if !strings.Contains(index, "not checked") || !strings.Contains(index, "no results.json: the run stopped before it was checked") {
		t.Error("the index does not say why the run has no verdict")
	}
	if !strings.Contains(index, "kill-leader ×2 (1 failed)") {
		t.Errorf("the index does not list the faults injected from the history:\n%s", index)
	}
	if !strings.Contains(page, "injection of kill-leader (op 4) failed: no leader to kill") {
		t.Error("the page does not list the failed injection")
	}
}

// A run that stopped on an error and wrote it down shows that error, not just a missing verdict.
func TestRunThatFailedShowsItsError(t *testing.T) {
	dir := writeRunDir(t, map[string]string{
		rundir.ConfigFile:   `{"run_id":"run-1","spec":{"Faults":["kill-leader"]}}`,
		rundir.RunErrorFile: "start cluster: broker 2 exited at start-up\n",
	})
	page, index := pages(t, dir)
	const why = "the run stopped before it was checked: start cluster: broker 2 exited at start-up"
	requireUnknown(t, "the page", page, why)
	if !strings.Contains(index, why) {
		t.Error("the index does not show the run's error")
	}
}
