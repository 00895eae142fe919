package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// CheckOptions are what a run directory is checked with.
type CheckOptions struct {
	// Allow lists the anomaly types reported without failing the verdict.
	Allow          map[checker.AnomalyType]bool
	UncleanEnabled bool // unclean.leader.election.enable was true
	// LinearizabilityTimeLimit bounds the linearizability search; zero means none.
	LinearizabilityTimeLimit time.Duration
	// PlannedFaults are the faults the run set out to inject: none injected is an unknown verdict.
	PlannedFaults []string
	// Elections are the cluster's mode and settings the election checks need.
	Elections ElectionSettings
}

// ElectionSettings are what the election invariants need to know of the cluster (see
// runcheck.ElectionOptions); the zero value is ZooKeeper mode.
type ElectionSettings struct {
	KRaft              bool          `json:"kraft,omitempty"`
	ELREnabled         bool          `json:"elr_enabled,omitempty"`
	MinISR             int           `json:"min_isr,omitempty"` // min(min.insync.replicas, replication factor)
	QuorumFetchTimeout time.Duration `json:"quorum_fetch_timeout,omitempty"`
	ObserverSlack      time.Duration `json:"observer_slack,omitempty"`
}

// RunCheckOptions reads dir's config.json for the options the run itself was checked with: the
// anomaly types it allows, whether unclean election was enabled, its linearizability limit and
// the faults it planned. The run, `kafkaesque check` and `kafkaesque report` all check a run
// directory with them, so they agree. found is false when dir has no config.json.
func RunCheckOptions(dir string) (opts CheckOptions, found bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return CheckOptions{}, false, nil
	}
	if err != nil {
		return CheckOptions{}, false, fmt.Errorf("run options: %w", err)
	}
	var cfg RunConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return CheckOptions{}, false, fmt.Errorf("run options: %s: %w", ConfigFile, err)
	}
	opts = CheckOptions{
		Allow:                    map[checker.AnomalyType]bool{},
		LinearizabilityTimeLimit: cfg.Spec.CheckTimeLimit,
		PlannedFaults:            cfg.Spec.Faults,
	}
	for t := range cfg.Allowed {
		if _, err := checker.ParseAnomalyType(string(t)); err != nil {
			return CheckOptions{}, false, fmt.Errorf("run options: %s: allowed: %w", ConfigFile, err)
		}
		opts.Allow[t] = true
	}
	unclean, ok := cfg.Cluster.BrokerConfig["unclean.leader.election.enable"] // the effective config
	if !ok {
		unclean = cfg.Spec.Cluster.BrokerConfig["unclean.leader.election.enable"] // a run that never started
	}
	opts.UncleanEnabled = unclean == "true"
	opts.Elections = cfg.Elections
	return opts, true, nil
}

// Merge adds the anomaly types of allow to opts' (flags given on the command line add to the
// run's own list; they never remove from it).
func (o CheckOptions) Merge(allow map[checker.AnomalyType]bool) CheckOptions {
	merged := maps.Clone(o.Allow)
	if merged == nil {
		merged = map[checker.AnomalyType]bool{}
	}
	maps.Copy(merged, allow)
	o.Allow = merged
	return o
}

// CheckRunDir checks a run directory's history and election log, in one pass over the history,
// and returns the verdict without writing anything.
func CheckRunDir(ctx context.Context, dir string, o CheckOptions) (*checker.Result, error) {
	opts := runcheck.Options{
		Options:        checker.Options{Allow: o.Allow, LinearizabilityTimeLimit: o.LinearizabilityTimeLimit},
		UncleanEnabled: o.UncleanEnabled,
		PlannedFaults:  o.PlannedFaults,
		KRaft:          o.Elections.KRaft, ELREnabled: o.Elections.ELREnabled, MinISR: o.Elections.MinISR,
		QuorumFetchTimeout: o.Elections.QuorumFetchTimeout, ObserverSlack: o.Elections.ObserverSlack,
	}
	ef, err := os.Open(filepath.Join(dir, ElectionsFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("check: %w", err)
	default:
		opts.Elections, err = electionlog.Read(ef)
		ef.Close()
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", ElectionsFile, err)
		}
		opts.WithElections = true
	}
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer f.Close()
	res, err := runcheck.Check(ctx, f, opts)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", HistoryFile, err)
	}
	if !opts.WithElections {
		res.Warnings = append(res.Warnings, "no election log: election invariants not checked")
	}
	// A run that stopped on an error was never going to be judged whole, whatever its history
	// shows up to the stop.
	if data, err := os.ReadFile(filepath.Join(dir, rundir.RunErrorFile)); err == nil {
		res.AddIncomplete([]string{"the run stopped on an error before its check: " + strings.TrimSpace(string(data))}, o.Allow)
	}
	return res, nil
}
