package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
)

// TestInterruptedRunCleansUp sends SIGINT to a real `kafkaesque run` in its fault phase and
// checks that it exits, keeps its run directory with the node logs collected, and leaves no
// container or network behind.
func TestInterruptedRunCleansUp(t *testing.T) {
	harness.RequireDocker(t)
	bin := filepath.Join(t.TempDir(), "kafkaesque")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--time-limit", "2m", "--nemesis", "kill-leader", "--seed", "5", "--out", out)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runID := ""
	ready := regexp.MustCompile(`cluster (\S+) ready`)
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			runID = m[1]
		}
		if runID != "" && strings.Contains(sc.Text(), "fault phase") {
			break
		}
	}
	if runID == "" {
		_ = cmd.Process.Kill()
		t.Fatalf("the run never reached its fault phase:\n%s", strings.Join(lines, "\n"))
	}
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Errorf("interrupted run exited with %v, want a non-zero status", err)
	}
	for _, what := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}} {
		args := append(what, "--filter", "label="+harness.LabelRun+"="+runID)
		left, err := exec.Command("docker", args...).Output()
		if err != nil {
			t.Fatalf("docker %v: %v", args, err)
		}
		if strings.TrimSpace(string(left)) != "" {
			t.Errorf("run %s left behind (docker %s): %s", runID, what[0], left)
		}
	}
	for _, f := range []string{harness.ConfigFile, harness.HistoryFile, filepath.Join(harness.NodeLogsDir, "kafka1.log")} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the interrupted run's directory lost %s: %v", f, err)
		}
	}
}
