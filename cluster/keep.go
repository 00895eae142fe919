package cluster

import (
	"context"
	"errors"

	"github.com/kafkaesque/kafkaesque/cluster/engine"
)

// labels are the labels of this cluster's containers and network.
func (c *Cluster) labels() map[string]string {
	labels := engine.OwnLabels(c.RunID)
	if c.Config.Keep {
		labels[engine.LabelKeep] = "true"
	}
	return labels
}

// Release ends this process's use of the cluster but leaves its containers and network up for
// inspection: the node logs are collected into logDir (when given) and the clients closed.
// engine.RemoveCommand(c.RunID) removes it later. Close after Release does nothing.
func (c *Cluster) Release(ctx context.Context, logDir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if !c.Config.Keep {
		return errors.New("release cluster " + c.RunID + ": it was not started with Keep, so the next run's start would remove it")
	}
	errs := c.detach(ctx, logDir)
	c.closed = true
	return errors.Join(errs...)
}

// detach collects the node logs into logDir (when given) and closes this process's clients of
// the cluster; the caller holds c.mu.
func (c *Cluster) detach(ctx context.Context, logDir string) []error {
	var errs []error
	if logDir != "" {
		errs = append(errs, c.CollectLogs(ctx, logDir))
	}
	c.admin.CloseIdleConnections()
	if c.meta != nil {
		c.meta.Close()
		c.meta, c.kraft = nil, nil
	}
	return errs
}
