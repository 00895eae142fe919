package txn

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// coordinatorInterval is how often each transactional id's coordinator is looked up.
const coordinatorInterval = time.Second

// coordinatorKeyTxn is FindCoordinator's key type for transactional ids (0 is groups).
const coordinatorKeyTxn = 1

// watchCoordinator records a FindCoordinator look-up of txnID's coordinator every second under a
// process of its own, so the history shows when the coordinator moved. It returns only a
// recording error.
func (w *Workload) watchCoordinator(ctx context.Context, txnID string, rng *rand.Rand) error {
	proc := w.cfg.Processes.Next()
	for workloads.SleepJitter(ctx, rng, coordinatorInterval) {
		inv, err := w.rec.Invoke(proc, history.FCoordinator, workloads.CoordinatorValue{TxnID: txnID})
		if err != nil {
			return fmt.Errorf("record coordinator invoke: %w", err)
		}
		opCtx, cancel := context.WithTimeout(ctx, w.cfg.OpTimeout)
		broker, err := w.FindCoordinator(opCtx, txnID)
		cancel()
		if err != nil {
			// A look-up changes nothing, so a failed one is a definite fail.
			if _, err := w.rec.Complete(inv, history.Fail, nil, err.Error()); err != nil {
				return fmt.Errorf("record coordinator completion: %w", err)
			}
			continue
		}
		if _, err := w.rec.Complete(inv, history.OK, workloads.CoordinatorValue{TxnID: txnID, Broker: &broker}, ""); err != nil {
			return fmt.Errorf("record coordinator completion: %w", err)
		}
	}
	return nil
}

// FindCoordinator asks a broker which broker coordinates txnID's transactions: the leader of its
// __transaction_state partition.
func (w *Workload) FindCoordinator(ctx context.Context, txnID string) (int, error) {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType = coordinatorKeyTxn
	req.CoordinatorKey = txnID                 // v0-v3
	req.CoordinatorKeys = []string{txnID}      // v4+
	resp, err := req.RequestWith(ctx, w.admin) // kgo sends the version the broker has, v4 batched
	if err != nil {
		return 0, fmt.Errorf("find the coordinator of %s: %w", txnID, err)
	}
	node, code := resp.NodeID, resp.ErrorCode
	if len(resp.Coordinators) > 0 {
		node, code = resp.Coordinators[0].NodeID, resp.Coordinators[0].ErrorCode
	}
	if err := kerr.ErrorForCode(code); err != nil {
		return 0, fmt.Errorf("find the coordinator of %s: %w", txnID, err)
	}
	if node < 0 {
		return 0, fmt.Errorf("find the coordinator of %s: %w", txnID, errors.New("no coordinator in the response"))
	}
	return int(node), nil
}
