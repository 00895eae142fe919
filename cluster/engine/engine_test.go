package engine

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestLeftoverSparesKeptClusters(t *testing.T) {
	// A process of this host that has exited: what a crashed run's labels name.
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	labels := func(pid int, keep string) map[string]string {
		l := map[string]string{LabelManaged: "true", LabelRun: "r1", LabelPID: strconv.Itoa(pid), LabelHost: host}
		if keep != "" {
			l[LabelKeep] = keep
		}
		return l
	}
	if !leftover(labels(done.Process.Pid, "")) {
		t.Error("a dead process's cluster is not swept")
	}
	if leftover(labels(done.Process.Pid, "true")) {
		t.Error("a cluster kept for inspection is swept once its process exits")
	}
	if !leftover(labels(done.Process.Pid, "false")) {
		t.Error(`keep="false" spares the cluster`)
	}
	if leftover(labels(os.Getpid(), "")) {
		t.Error("a live process's cluster is swept")
	}
}

func TestRemoveCommandFiltersOnTheRun(t *testing.T) {
	cmd := RemoveCommand("20260501-100000-0a1b2c3d")
	filter := "--filter label=io.kafkaesque.managed=true --filter label=io.kafkaesque.run=20260501-100000-0a1b2c3d"
	want := "docker rm -f -v $(docker ps -aq " + filter + ") && docker network rm $(docker network ls -q " + filter + ")"
	if cmd != want {
		t.Errorf("got  %s\nwant %s", cmd, want)
	}
	if strings.Count(cmd, LabelRun+"=") != 2 {
		t.Errorf("%s: both listings must filter on the run", cmd)
	}
}
