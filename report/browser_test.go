package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// chromiumPath finds headless Chromium, skipping the test without it (failing under CI=true,
// where scripts/test.sh installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI=true requires the browser test")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): skipping the browser test")
	return ""
}

// consoleLine matches Chromium's log line for a page's console message or uncaught error.
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]`)

// runChromium loads a file headlessly and returns the console messages it logged. extra
// selects the output (--dump-dom or --screenshot=...).
func runChromium(t *testing.T, chromium, page string, extra ...string) (stdout []byte, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, chromium, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", page, err, errOut.String())
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		if consoleLine.MatchString(line) {
			console = append(console, line)
		}
	}
	return out.Bytes(), console
}

func TestReportLoadsInChromiumWithoutConsoleErrors(t *testing.T) {
	chromium := chromiumPath(t)
	// A page that does log an error proves the detection works on this Chromium.
	control := filepath.Join(t.TempDir(), "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><p>x</p><script>undefinedFunction()</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, console := runChromium(t, chromium, control, "--dump-dom"); len(console) == 0 {
		t.Fatal("the control page's uncaught error was not detected: console detection is broken")
	}

	// The synthetic run with every section: causes, lag, a phantom read, two porcupine pages;
	// next to it a run that stopped before its check (no results.json).
	dir := syntheticRun(t)
	withNewSections(t, dir)
	if err := Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	failed := filepath.Join(filepath.Dir(dir), "failed-run")
	if err := os.Mkdir(failed, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{rundir.ConfigFile, rundir.HistoryFile} {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		} else if err := os.WriteFile(filepath.Join(failed, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(filepath.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	links, _ := filepath.Glob(filepath.Join(dir, rundir.LinVizDir, "*.html"))
	if len(links) < 2 {
		t.Fatalf("%d linearizability visualizations written, want one per anomaly (2)", len(links))
	}
	kraft := syntheticKRaftRun(t) // the quorum leader's row, the ELR strips and the controller table
	if err := Write(context.Background(), kraft); err != nil {
		t.Fatal(err)
	}
	pages := append([]string{filepath.Join(dir, rundir.ReportFile), filepath.Join(filepath.Dir(dir), rundir.ReportFile), filepath.Join(failed, rundir.ReportFile),
		filepath.Join(kraft, rundir.ReportFile)}, links...)
	for _, page := range pages {
		dom, console := runChromium(t, chromium, page, "--dump-dom")
		if len(console) > 0 {
			t.Errorf("%s logged to the console:\n%s", page, strings.Join(console, "\n"))
		}
		if len(dom) == 0 {
			t.Errorf("%s: empty DOM", page)
		}
		if page == pages[0] && bytes.Contains(dom, []byte("<script>alert(1)")) {
			t.Errorf("the report's DOM contains the payload as markup")
		}
		if page == pages[1] && !bytes.Contains(dom, []byte(`id="history"`)) {
			t.Errorf("the results index's DOM lacks the history by configuration")
		}
		if page == pages[0] {
			for _, id := range []string{`id="causes"`, `id="lag"`, `id="anomaly-phantom-read"`} {
				if !bytes.Contains(dom, []byte(id)) {
					t.Errorf("the report's DOM lacks %s", id)
				}
			}
		}
	}
}
