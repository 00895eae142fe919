package harness

import (
	"context"
	"github.com/kafkaesque/kafkaesque/cluster"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Run runs a chaos run from a test. The run directory is kept (KAFKAESQUE_TEST_RESULTS, default
// a temp dir) and named in the test log; progress goes to the test log. Errors fail the test.
func Run(t testing.TB, spec RunSpec) *RunResult {
	t.Helper()
	cluster.RequireDocker(t)
	if spec.OutDir == "" {
		root := os.Getenv("KAFKAESQUE_TEST_RESULTS")
		if root == "" {
			root = filepath.Join(os.TempDir(), "kafkaesque-runs")
		}
		spec.OutDir = filepath.Join(root, cluster.Sanitize(t.Name())+"-"+time.Now().UTC().Format("20060102-150405.000"))
	}
	if spec.Progress == nil {
		spec.Progress = testLogWriter{t}
	}
	limit := spec.Warmup + spec.TimeLimit + 6*time.Minute
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
