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
