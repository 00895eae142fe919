package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RequireDocker skips the test when no Docker engine answers, saying why; under CI (CI=true) it
// fails instead, so a CI machine without Docker cannot pass by skipping.
func RequireDocker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := DockerAvailable(ctx)
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the Docker engine is unavailable: %v", err)
	}
	t.Skipf("skipping: needs a Docker engine (run scripts/ensure-docker.sh and images/build.sh): %v", err)
}

// StartTestCluster starts a cluster for a test and removes it when the test ends, after copying
// node logs into the test's artifact directory (KAFKAESQUE_TEST_LOGS, default a temp dir).
func StartTestCluster(t testing.TB, cfg ClusterConfig) *Cluster {
	t.Helper()
	RequireDocker(t)
	if cfg.Name == "" {
		cfg.Name = "kq-" + sanitize(t.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Logf("cluster %s up: brokers %v, zookeeper %v", c.RunID, c.BootstrapServers(), c.ZooKeeperServers())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		logDir := ""
		if t.Failed() {
			logDir = testLogDir(t)
		}
		if err := c.Close(ctx, logDir); err != nil {
			t.Errorf("close cluster: %v", err)
		}
		if logDir != "" {
			t.Logf("node logs in %s", logDir)
		}
	})
	return c
}

func testLogDir(t testing.TB) string {
	if root := os.Getenv("KAFKAESQUE_TEST_LOGS"); root != "" {
		return filepath.Join(root, sanitize(t.Name()))
	}
	return filepath.Join(os.TempDir(), "kafkaesque-logs", sanitize(t.Name()))
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

// Run runs a chaos run from a test. The run directory is kept (KAFKAESQUE_TEST_RESULTS, default
// a temp dir) and named in the test log; progress goes to the test log. Errors fail the test.
func Run(t testing.TB, spec RunSpec) *RunResult {
	t.Helper()
	RequireDocker(t)
	if spec.OutDir == "" {
		root := os.Getenv("KAFKAESQUE_TEST_RESULTS")
		if root == "" {
			root = filepath.Join(os.TempDir(), "kafkaesque-runs")
		}
		spec.OutDir = filepath.Join(root, sanitize(t.Name())+"-"+time.Now().UTC().Format("20060102-150405.000"))
	}
	if spec.Progress == nil {
		spec.Progress = testLogWriter{t}
	}
	limit := spec.TimeLimit + 6*time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res, err := RunChaos(ctx, spec)
	if err != nil {
		t.Fatalf("chaos run failed (run directory %s kept): %v", spec.OutDir, err)
	}
	t.Logf("run directory: %s", res.Dir)
	return res
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
