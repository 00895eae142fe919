// Package runcheck checks a run as a whole: its history (checker.Check; with transactions,
// checker/txn) and consumer-group guarantees (checker/group) in one streaming pass, the
// nemesis' faults (an injection or a recovery that failed makes the verdict unknown,
// faults.go; each fault's unavailability, unavailability.go) and the election log's
// invariants, one file per guarantee (elections.go for ZooKeeper, elections_quorum.go and
// elections_kraft.go for KRaft). It is pure: it reads a history and an election log and
// returns a checker.Result.
package runcheck

import (
	"context"
	"io"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/group"
	"github.com/kafkaesque/kafkaesque/checker/txn"
	"github.com/kafkaesque/kafkaesque/electionlog"
)

// Options tune Check.
type Options struct {
	checker.Options
	// WithElections says Elections is the run's election log, to check its invariants and to
	// measure each fault's elections; without it both are skipped.
	WithElections  bool
	Elections      []electionlog.Event
	UncleanEnabled bool // unclean.leader.election.enable was true (see ElectionOptions)
	// The cluster's mode and settings for the election checks (see ElectionOptions); the zero
	// values are ZooKeeper mode, as before.
	KRaft              bool
	ELREnabled         bool
	MinISR             int // effective min.insync.replicas: min(min.insync.replicas, replication factor)
	QuorumFetchTimeout time.Duration
	ObserverSlack      time.Duration
	// PlannedFaults are the fault names the run set out to inject (its config): a history that
	// shows none of them injected gets an unknown verdict. Empty for a bare history.
	PlannedFaults []string
}

// Check checks a run's history in one streaming pass: the history guarantees (checker.Check),
// the consumer-group guarantees (group.Check), the nemesis' faults (an injection or a recovery
// that failed makes the verdict unknown, faults.go; each fault's unavailability, with the
// election log's elections, MeasureUnavailability) and, with the election log, the election
// invariants (CheckElections).
func Check(ctx context.Context, r io.Reader, opts Options) (*checker.Result, error) {
	elections := ElectionOptions{UncleanEnabled: opts.UncleanEnabled, KRaft: opts.KRaft, ELREnabled: opts.ELREnabled,
		MinISR: opts.MinISR, QuorumFetchTimeout: opts.QuorumFetchTimeout, ObserverSlack: opts.ObserverSlack}
	if err := elections.Validate(); opts.WithElections && err != nil {
		return nil, err
	}
	// checker/txn's Checker is the queue checker's for a history without transactions.
	c, faults, audit := txn.New(opts.Options), newFaultMeter(), newFaultAudit()
	groups := group.NewSharing(c) // the queue checker keeps the acknowledged sends; it observes each op first
	warnings, err := checker.Stream(ctx, r, c.Observe, groups.Observe, faults.observe, audit.observe)
	if err != nil {
		return nil, err
	}
	res := c.Finish(ctx)
	res.Warnings = append(warnings, res.Warnings...)
	groups.Finish().AddTo(res, opts.Allow)
	if opts.WithElections {
		res.AddAnomalies(CheckElections(opts.Elections, elections), opts.Allow)
	}
	res.Faults = faults.finish(opts.Elections)
	AttributeLostWrites(res.Faults, res.Anomalies[checker.LostWrite])
	res.AddIncomplete(audit.finish(opts.PlannedFaults), opts.Allow)
	return res, nil
}
