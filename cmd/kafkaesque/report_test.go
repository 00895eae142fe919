package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportChecksABareHistory(t *testing.T) {
	results := t.TempDir()
	dir := filepath.Join(results, "run-1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "history.jsonl"), []byte(lost), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("report", dir)
	if code != exitValid {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, f := range []string{"results.json", "index.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `id="anomaly-lost-write"`) {
		t.Error("the report does not show the lost write")
	}
	index, err := os.ReadFile(filepath.Join(results, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(index), "run-1") {
		t.Error("the results index does not list the run")
	}
	// Regenerating keeps the results and succeeds again.
	if code, _, errOut := run("report", dir); code != exitValid {
		t.Fatalf("second report: exit %d: %s", code, errOut)
	}
}

func TestReportRejectsBadArguments(t *testing.T) {
	if code, _, _ := run("report"); code != exitError {
		t.Errorf("no directory: exit %d, want %d", code, exitError)
	}
	if code, _, _ := run("report", "--allow", "bogus", t.TempDir()); code != exitError {
		t.Errorf("unknown --allow type: exit %d, want %d", code, exitError)
	}
	if code, _, _ := run("report", t.TempDir()); code != exitError {
		t.Errorf("empty directory: exit %d, want %d", code, exitError)
	}
}

// report DIR writes nothing outside DIR but the results index of the directory holding it: a
// foreign index.html there is kept, a parent that is itself a run directory keeps its report,
// and `report .` inside a run directory writes the run's report, not an index.
func TestReportWritesNothingOutsideItsDirectory(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	newRun := func(parent string) string {
		t.Helper()
		dir := filepath.Join(parent, "run-1")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "history.jsonl"), []byte(lost), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	// A directory that is not a results directory: its own index.html is someone else's page.
	home := t.TempDir()
	foreign := "<html><title>my notes</title></html>"
	if err := os.WriteFile(filepath.Join(home, "index.html"), []byte(foreign), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := newRun(home)
	code, out, errOut := run("report", dir)
	if code != exitValid {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := read(filepath.Join(home, "index.html")); got != foreign {
		t.Errorf("the foreign %s/index.html was replaced by %.80q", home, got)
	}
	if !strings.Contains(out, "not a results index") {
		t.Errorf("report did not say why it left the index alone: %s", out)
	}
	if !strings.Contains(read(filepath.Join(dir, "index.html")), `id="anomaly-lost-write"`) {
		t.Error("the run's report was not written")
	}

	// A run directory nested in another run directory: the outer run's report stays.
	outer := newRun(t.TempDir())
	if code, _, errOut := run("report", outer); code != exitValid {
		t.Fatalf("outer run: exit %d: %s", code, errOut)
	}
	outerReport := read(filepath.Join(outer, "index.html"))
	inner := newRun(outer)
	if code, _, errOut := run("report", inner); code != exitValid {
		t.Fatalf("inner run: exit %d: %s", code, errOut)
	}
	if read(filepath.Join(outer, "index.html")) != outerReport {
		t.Error("reporting a nested run replaced the outer run's report")
	}

	// `report .` inside a run directory: the run's report there, the index in its parent.
	results := t.TempDir()
	dir = newRun(results)
	t.Chdir(dir)
	if code, out, errOut := run("report", "."); code != exitValid {
		t.Fatalf("report .: exit %d\n%s\n%s", code, out, errOut)
	}
	if page := read(filepath.Join(dir, "index.html")); !strings.Contains(page, `id="anomaly-lost-write"`) || strings.Contains(page, "<title>Kafkaesque runs</title>") {
		t.Errorf("report . left the run without its report: %.200q", page)
	}
	if !strings.Contains(read(filepath.Join(results, "index.html")), "run-1") {
		t.Error("report . did not list the run in its parent's results index")
	}

	// The directory of run directories itself: its index, regenerated, and nothing else.
	before := read(filepath.Join(dir, "index.html"))
	if code, out, errOut := run("report", results); code != exitValid || !strings.Contains(out, "1 runs") {
		t.Fatalf("report RESULTS: exit %d\n%s\n%s", code, out, errOut)
	}
	if read(filepath.Join(dir, "index.html")) != before {
		t.Error("reporting the results directory rewrote a run's report")
	}
}
