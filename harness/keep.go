package harness

import (
	"context"
	"fmt"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/engine"
)

// keepCluster says whether a run leaves its cluster up: only when the spec asks, and only
// after a failure: an error (a panic included) or a verdict that is not valid.
func keepCluster(spec RunSpec, res *RunResult, err error, panicked bool) bool {
	if !spec.KeepCluster {
		return false
	}
	return err != nil || panicked || res == nil || res.Result == nil || res.Result.Valid != checker.Valid
}

// closeCluster removes the cluster, or, when keep, leaves it up and prints the command that
// removes it. The node logs are collected into logDir either way.
func (r *runner) closeCluster(ctx context.Context, cl *cluster.Cluster, logDir string, keep bool) error {
	if !keep {
		return cl.Close(ctx, logDir)
	}
	if err := cl.Release(ctx, logDir); err != nil {
		return err
	}
	r.logf("the run failed: cluster %s is kept for inspection (--keep-cluster); remove it with:", cl.RunID)
	fmt.Fprintf(r.progress, "  %s\n", engine.RemoveCommand(cl.RunID))
	return nil
}
