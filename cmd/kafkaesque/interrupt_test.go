package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/engine"
	"github.com/kafkaesque/kafkaesque/harness"
)

// TestInterruptedRunCleansUp stops a real `kafkaesque run` in every way a terminal session
// ends: SIGINT (Ctrl-C), SIGHUP (the terminal closed), SIGTERM, and its output's reader going
// away (piped into head). Each time the run must exit, keep its run directory with the node
// logs collected, and leave no container or network behind. SIGTERM's run has --keep-cluster:
// an interrupted run is a failed one, so its cluster stays up, and the command it prints
// removes it.
func TestInterruptedRunCleansUp(t *testing.T) {
	cluster.RequireDocker(t)
	bin := filepath.Join(t.TempDir(), "kafkaesque")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			keep := sig == syscall.SIGTERM
			var flags []string
			if keep {
				flags = append(flags, "--keep-cluster")
			}
			cmd := runCommand(t, bin, out, flags...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			runID, sc := waitFaultPhase(t, cmd, stderr)
			time.Sleep(3 * time.Second)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for sc.Scan() { // to the end: Wait closes the pipe
				rest = append(rest, sc.Text())
			}
			err = cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Errorf("run stopped by %v exited with %v, want a non-zero status", sig, err)
			}
			if keep {
				removeKept(t, runID, rest)
			}
			checkCleanedUp(t, runID, out)
		})
	}
	// The reader of stdout and stderr goes away in the fault phase: the next progress line
	// meets a broken pipe (SIGPIPE, EPIPE).
	t.Run("pipe closed", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "run")
		cmd := runCommand(t, bin, out)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		runID, _ := waitFaultPhase(t, cmd, r)
		r.Close()
		if err := cmd.Wait(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == -1 {
				t.Errorf("the run was killed by a signal (%v) instead of cleaning up", err)
			}
		}
		checkCleanedUp(t, runID, out)
	})
	// As a user types it: output piped into `head -3`, which exits once the cluster is up.
	t.Run("head -3", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "run")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		shell := exec.CommandContext(ctx, "sh", "-c", `"$0" run --time-limit 2m --nemesis kill-leader --seed 5 --out "$1" 2>&1 | head -3`, bin, out)
		printed, err := shell.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", shell, err, printed)
		}
		var cfg struct {
			RunID string `json:"run_id"`
		}
		data, err := os.ReadFile(filepath.Join(out, harness.ConfigFile))
		if err != nil || json.Unmarshal(data, &cfg) != nil || cfg.RunID == "" {
			t.Fatalf("no run id in the run directory (%v); head printed:\n%s", err, printed)
		}
		checkCleanedUp(t, cfg.RunID, out)
	})
}

// runCommand is a run long enough to be stopped in its fault phase.
func runCommand(t *testing.T, bin, out string, flags ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	args := append([]string{"run", "--time-limit", "2m", "--nemesis", "kill-leader", "--seed", "5", "--out", out}, flags...)
	return exec.CommandContext(ctx, bin, args...)
}

// removeKept checks that run runID's cluster is still up, labelled kept, after its process
// exited, and removes it with the command the run printed (progress holds the run's last lines).
func removeKept(t *testing.T, runID string, progress []string) {
	t.Helper()
	filter := []string{"--filter", "label=" + engine.LabelRun + "=" + runID, "--filter", "label=" + engine.LabelKeep + "=true"}
	up, err := exec.Command("docker", append([]string{"ps", "-q", "--filter", "status=running"}, filter...)...).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	if n := len(strings.Fields(string(up))); n != 4 { // ZooKeeper and three brokers
		t.Errorf("%d containers of the kept run %s are up, want 4", n, runID)
	}
	remove := ""
	for _, line := range progress {
		if cmd, ok := strings.CutPrefix(line, "  docker rm "); ok {
			remove = "docker rm " + cmd
		}
	}
	if remove != engine.RemoveCommand(runID) {
		t.Fatalf("the run printed no removal command for %s; its last lines:\n%s", runID, strings.Join(progress, "\n"))
	}
	if out, err := exec.Command("sh", "-c", remove).CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", remove, err, out)
	}
}

// waitFaultPhase reads the run's progress until its fault phase begins, and returns the run id.
func waitFaultPhase(t *testing.T, cmd *exec.Cmd, progress io.Reader) (string, *bufio.Scanner) {
	t.Helper()
	runID := ""
	ready := regexp.MustCompile(`cluster (\S+) ready`)
	sc := bufio.NewScanner(progress)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			runID = m[1]
		}
		if runID != "" && strings.Contains(sc.Text(), "fault phase") {
			return runID, sc
		}
	}
	_ = cmd.Process.Kill()
	t.Fatalf("the run never reached its fault phase:\n%s", strings.Join(lines, "\n"))
	return "", nil
}

// checkCleanedUp checks that nothing of run runID is left in Docker and that the run directory
// kept its files and the node logs.
func checkCleanedUp(t *testing.T, runID, out string) {
	t.Helper()
	for _, what := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}} {
		args := append(what, "--filter", "label="+engine.LabelManaged+"=true", "--filter", "label="+engine.LabelRun+"="+runID)
		left, err := exec.Command("docker", args...).Output()
		if err != nil {
			t.Fatalf("docker %v: %v", args, err)
		}
		if strings.TrimSpace(string(left)) != "" {
			t.Errorf("run %s left behind (docker %s): %s", runID, what[0], left)
			_ = exec.Command("sh", "-c", "docker rm -f $(docker ps -aq --filter label="+engine.LabelRun+"="+runID+
				"); docker network rm $(docker network ls -q --filter label="+engine.LabelRun+"="+runID+")").Run()
		}
	}
	for _, f := range []string{harness.ConfigFile, harness.HistoryFile, filepath.Join(harness.NodeLogsDir, "kafka1.log")} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the interrupted run's directory lost %s: %v", f, err)
		}
	}
}
