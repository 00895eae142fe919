package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
)

// RequireDocker skips the test when no Docker engine answers, saying why; under CI (CI=true) it
// fails instead, so a CI machine without Docker cannot pass by skipping.
func RequireDocker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := engine.Available(ctx)
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
func StartTestCluster(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	RequireDocker(t)
	if cfg.Name == "" {
		cfg.Name = "kq-" + Sanitize(t.Name())
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
		return filepath.Join(root, Sanitize(t.Name()))
	}
	return filepath.Join(os.TempDir(), "kafkaesque-logs", Sanitize(t.Name()))
}

// Sanitize makes a test name safe for container and directory names.
func Sanitize(s string) string {
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
