package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunScriptHelpStartsNothing: scripts/run.sh --help (and -h, and help) prints `kafkaesque
// run --help` without touching Docker, images or bin/: docker and modprobe on its PATH are fakes
// that leave a mark if called.
func TestRunScriptHelpStartsNothing(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	fakes := t.TempDir()
	mark := filepath.Join(t.TempDir(), "called")
	for _, name := range []string{"docker", "modprobe", "dockerd", "debootstrap", "mvn", "apt-get"} {
		script := "#!/bin/sh\necho " + name + " \"$@\" >>" + mark + "\nexit 1\n"
		if err := os.WriteFile(filepath.Join(fakes, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join("..", "..", "bin", "kafkaesque")
	before, _ := os.Stat(bin)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--seed", "3", "--help"}} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a fake engine never answers
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", append([]string{"../../scripts/run.sh"}, args...)...)
		cmd.WaitDelay = time.Second
		cmd.Env = append(os.Environ(), "PATH="+fakes+":"+filepath.Dir(goBin)+":/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "kafkaesque run [flags]") || !strings.Contains(string(out), "--keep-cluster") {
			t.Errorf("scripts/run.sh %v: %v\n%s", args, err, out)
		}
	}
	if called, err := os.ReadFile(mark); err == nil {
		t.Errorf("scripts/run.sh --help started something:\n%s", called)
	}
	if after, _ := os.Stat(bin); (before == nil) != (after == nil) || (before != nil && !after.ModTime().Equal(before.ModTime())) {
		t.Error("scripts/run.sh --help built bin/kafkaesque")
	}
}
