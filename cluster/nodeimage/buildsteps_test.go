package nodeimage

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildStepsReportProgress runs images/steps.sh's step as images/build.sh does: the first
// time a step runs it has no ETA; once it has succeeded, the next run of it gives one; a failed
// step keeps its status and records nothing; a step's own output can go to a log without taking
// the progress lines with it.
func TestBuildStepsReportProgress(t *testing.T) {
	dir := t.TempDir()
	durations := filepath.Join(dir, "step-durations")
	script := `set -euo pipefail
source ../../images/steps.sh
step_durations=$1
step fast "a step that succeeds" true
step fast "the same step again" echo to-the-log >"$2/step.log" 2>&1
status=0
step slow "a step that fails" false || status=$?
echo "failed with $status"
`
	out, err := exec.Command("bash", "-c", script, "bash", durations, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^images/build.sh: \[\d+s\] a step that succeeds$`),
		regexp.MustCompile(`^images/build.sh: \[\d+s\] fast done in \d+s$`),
		regexp.MustCompile(`^images/build.sh: \[\d+s\] the same step again \(ETA \d+s, as the last build took\)$`),
		regexp.MustCompile(`^images/build.sh: \[\d+s\] fast done in \d+s$`),
		regexp.MustCompile(`^images/build.sh: \[\d+s\] a step that fails$`),
		regexp.MustCompile(`^failed with 1$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], re)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "step.log")); string(log) != "to-the-log\n" {
		t.Errorf("the step's log holds %q", log)
	}
	recorded, err := os.ReadFile(durations)
	if err != nil || !regexp.MustCompile(`^fast \d+\n$`).Match(recorded) {
		t.Errorf("durations %q (%v): want the one successful step, once", recorded, err)
	}
}

func TestFmtSecs(t *testing.T) {
	for in, want := range map[string]string{"0": "0s", "59": "59s", "60": "1m00s", "125": "2m05s"} {
		out, err := exec.Command("bash", "-c", `source ../../images/steps.sh; fmt_secs "$1"`, "bash", in).Output()
		if err != nil || string(out) != want {
			t.Errorf("fmt_secs %s = %q (%v), want %s", in, out, err, want)
		}
	}
}
