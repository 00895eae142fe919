package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/engine"
)

// TestBadRunFlagsStartNothing runs the command line in process with bad flag sets: each must exit
// 2 naming its problem, before the run directory exists and before any container or network is
// created (docker's label filter, before and after, on this process's pid label).
func TestBadRunFlagsStartNothing(t *testing.T) {
	cluster.RequireDocker(t)
	before := managedByUs(t)
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"--producers", "0"}, "--producers must be at least 1"},
		{[]string{"--producers", "-1"}, "--producers must be at least 1"},
		{[]string{"--consumers", "-2"}, "--consumers must be at least 1"},
		{[]string{"--rate", "-5"}, "--rate"},
		{[]string{"--in-flight", "0"}, "--in-flight must be at least 1, got 0"},
		{[]string{"--workload", "txn", "--in-flight", "4"}, "--in-flight is the queue and group workloads'"},
		{[]string{"--hold", "-1s"}, "--hold must not be negative"},
		{[]string{"--rest", "-1s"}, "--rest must not be negative"},
		{[]string{"--time-limit", "-5s"}, "--time-limit must be positive"},
		{[]string{"--time-limit", "0"}, "--time-limit must be positive"},
		{[]string{"--warmup", "-5s"}, "--warmup must not be negative, got -5s"},
		{[]string{"--crash-clients", "-1s"}, "--crash-clients must not be negative"},
		{[]string{"--partitions", "0"}, "--partitions must be at least 1"},
		{[]string{"--brokers", "0"}, "--brokers must be 1 to 9"},
		{[]string{"--brokers", "-1"}, "--brokers must be 1 to 9"},
		{[]string{"--zookeepers", "2"}, "--zookeepers must be 1 or 3"},
		{[]string{"--min-insync-replicas", "0"}, "--min-insync-replicas must be 1 to"},
		{[]string{"--replication-factor", "4"}, "--replication-factor must be 1 to --brokers (3), got 4"},
		{[]string{"--nemesis", "kill-zk-leader"}, "kill-zk-leader cannot run on 3 brokers and 1 ZooKeeper nodes"},
		{[]string{"--nemesis", "kill-coordinator"}, "kill-coordinator needs --workload group"},
		{[]string{"--nemesis", "pause-client"}, "pause-client needs --workload txn"},
		{[]string{"--workload", "group", "--nemesis", "kill-txn-coordinator"}, "kill-txn-coordinator needs --workload txn"},
		{[]string{"--workload", "group", "--nemesis", "kill-leader", "--crash-clients", "5s"}, "crash-client"},
		{[]string{"--broker-config", "min.insync.replica=2"}, `unknown Kafka config key "min.insync.replica" (did you mean "min.insync.replicas"?)`},
		{[]string{"--broker-config", "min.insync.replicas=1"}, "set it with --min-insync-replicas"},
		{[]string{"--broker-config", "broker.id=7"}, `"broker.id" is set by the harness`},
		{[]string{"--time-limit", "5s", "--nemesis", "kill-leader"}, "the schedule plans no fault: the fault phase (5s) is shorter than the warmup (0s) plus the shortest hold (8s)"},
		{[]string{"--hold", "20s", "--time-limit", "15s"}, "plans no fault"},
		{[]string{"--acks", "2"}, "--acks"},
		{[]string{"--nemesis", "kill-everything"}, `unknown fault "kill-everything"`},
		{[]string{"--nemesis", ""}, `--nemesis is empty: give fault names, or "none"`},
		{[]string{"--kafka-version", "4.4.0", "--mode", "zk"}, "Kafka 4.4.0 has no ZooKeeper mode"},
		{[]string{"--kafka-version", "4.x"}, "--kafka-version"},
		{[]string{"--kafka-version", "2.7.1"}, "2.7.1"},
		{[]string{"--kafka-version", "9.9.9"}, "images/build.sh 9.9.9"},
		{[]string{"--mode", "raft"}, `--mode: unknown mode "raft"`},
		{[]string{"--controllers", "3"}, "--controllers is a KRaft setting"},
		{[]string{"--mode", "kraft", "--zookeepers", "3"}, "--zookeepers: KRaft mode has no ZooKeeper nodes"},
		{[]string{"--mode", "kraft", "--controllers", "6"}, "--controllers must be 1 to 5"},
		{[]string{"--mode", "kraft", "--combined", "--controllers", "4"}, "only 3 brokers"},
		{[]string{"--mode", "kraft", "--nemesis", "kill-zk-leader"}, "kill-zk-leader cannot run"},
		{[]string{"--kafka-version", "3.2.3", "--mode", "kraft"}, "no production-ready KRaft mode"},
	}
	for _, tc := range cases {
		out := filepath.Join(t.TempDir(), "run")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var stdout, stderr strings.Builder
		code := execute(ctx, append([]string{"run", "--out", out, "--seed", "1"}, tc.flags...), &stdout, &stderr)
		cancel()
		if code != exitError || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.flags, code, stderr.String(), tc.want)
		}
		if strings.Contains(stderr.String(), "run directory "+out) {
			t.Errorf("%v: the run began: %s", tc.flags, stderr.String())
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the run directory %s was created", tc.flags, out)
		}
	}
	if after := managedByUs(t); after != before || after != "" {
		t.Errorf("containers or networks of this process: before %q, after %q", before, after)
	}
}

// TestBadBenchFlagsStartNothing: bench refuses bad input before any container starts, as run does.
func TestBadBenchFlagsStartNothing(t *testing.T) {
	cluster.RequireDocker(t)
	before := managedByUs(t)
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--round", "500ms"}, "--round must be at least 1s"},
		{[]string{"--rounds", "0"}, "--rounds and --record-size at least 1"},
		{[]string{"--record-size", "0"}, "--rounds and --record-size at least 1"},
		{[]string{"--in-flight", "-1"}, "--in-flight must be at least 1"},
		{[]string{"--client", "sarama"}, "--client"},
		{[]string{"--kafka-version", "9.9.9"}, "images/build.sh 9.9.9"},
		{[]string{"--nemesis", "kill-leader"}, "unknown flag: --nemesis"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var stdout, stderr strings.Builder
		code := execute(ctx, append([]string{"bench", "--seed", "1"}, tc.flags...), &stdout, &stderr)
		cancel()
		if code != exitError || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want exit 2 naming %q", tc.flags, code, stderr.String(), tc.want)
		}
	}
	if after := managedByUs(t); after != before || after != "" {
		t.Errorf("containers or networks of this process: before %q, after %q", before, after)
	}
}

// managedByUs lists the containers and networks this test process created.
func managedByUs(t *testing.T) string {
	t.Helper()
	var found []string
	for _, what := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}} {
		args := append(what, "--filter", "label="+engine.LabelManaged+"=true",
			"--filter", "label="+engine.LabelPID+"="+strconv.Itoa(os.Getpid()))
		out, err := exec.Command("docker", args...).Output()
		if err != nil {
			t.Fatalf("docker %v: %v", args, err)
		}
		found = append(found, strings.Fields(string(out))...)
	}
	return strings.Join(found, " ")
}
