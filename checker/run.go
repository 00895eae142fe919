package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
)

// RunOptions tune CheckRun.
type RunOptions struct {
	Options
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

// CheckRun checks a run's history in one streaming pass: the history guarantees (Check), the
// consumer-group guarantees (CheckGroup), the nemesis' faults (an injection or a recovery that
// failed makes the verdict unknown, faults.go; each fault's unavailability, with the election
// log's elections, MeasureUnavailability) and, with the election log, the election invariants
// (CheckElections).
func CheckRun(ctx context.Context, r io.Reader, opts RunOptions) (*Result, error) {
	elections := ElectionOptions{UncleanEnabled: opts.UncleanEnabled, KRaft: opts.KRaft, ELREnabled: opts.ELREnabled,
		MinISR: opts.MinISR, QuorumFetchTimeout: opts.QuorumFetchTimeout, ObserverSlack: opts.ObserverSlack}
	if err := elections.Validate(); opts.WithElections && err != nil {
		return nil, err
	}
	c, group, faults, audit := New(opts.Options), newGroupReader(), newFaultMeter(), newFaultAudit()
	warnings, err := stream(ctx, r, c.Observe, group.observe, faults.observe, audit.observe)
	if err != nil {
		return nil, err
	}
	res := c.Finish(ctx)
	res.Warnings = append(warnings, res.Warnings...)
	res.AddGroup(group.finish(), opts.Allow)
	if opts.WithElections {
		res.AddElections(CheckElections(opts.Elections, elections), opts.Allow)
	}
	res.Faults = faults.finish(opts.Elections)
	res.AddIncomplete(audit.finish(opts.PlannedFaults), opts.Allow)
	return res, nil
}

// stream decodes a history and hands each op to every observer in turn. An observer's error
// names the op's line; the decoder's warnings (a truncated last line) are returned.
func stream(ctx context.Context, r io.Reader, observers ...func(history.Op) error) ([]string, error) {
	dec := history.NewDecoder(r)
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return dec.Warnings(), nil
		}
		if err != nil {
			return nil, err
		}
		for _, observe := range observers {
			if err := observe(op); err != nil {
				return nil, &history.LineError{Line: dec.Line(), Err: err}
			}
		}
		if op.Index%65536 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("check: %w", ctx.Err())
		}
	}
}

// decodeEach is stream for the single-purpose readers, which need no cancellation.
func decodeEach(r io.Reader, observe func(history.Op) error) error {
	_, err := stream(context.Background(), r, observe)
	return err
}
