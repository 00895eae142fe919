package txn

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// endOutcome is what an EndTxn's answer proves about the transaction.
type endOutcome int

const (
	// ended: the commit (or abort) asked for took place.
	ended endOutcome = iota
	// notCommitted: the coordinator's answer proves the transaction did not commit.
	notCommitted
	// notAttempted: the commit was never taken by the coordinator; the transaction is still open
	// and must be aborted (its outcome is then the abort's).
	notAttempted
	// unknown: the transaction may or may not have committed.
	unknown
)

// classifyCommit maps the error of EndTransaction(TryCommit) to what it proves. The broker's
// side is Kafka 3.9's TransactionCoordinator.handleEndTransaction (transaction version 1), with
// one client per transactional id at a time (a replacement fences its predecessor only after
// the predecessor's last transaction was recorded).
//
//   - nil: committed. kgo retries EndTxn after a lost response; the coordinator answers a
//     repeated commit NONE when it is complete, CONCURRENT_TRANSACTIONS (retried by kgo) while
//     PrepareCommit's markers are written.
//   - PRODUCER_FENCED, INVALID_PRODUCER_EPOCH (its name for older request versions): notCommitted.
//     The coordinator checks the epoch before it takes the commit; the epoch moved past ours,
//     which only an abort does here: the coordinator's timeout abort bumps it (KAFKA-17754's
//     shape: a held client's transaction times out), and a newer producer's InitProducerID
//     aborts the open transaction before it bumps. Once a commit is taken, the epoch holds:
//     InitProducerID gets CONCURRENT_TRANSACTIONS and the timeout only aborts open transactions.
//   - INVALID_TXN_STATE: notCommitted. At our epoch the coordinator holds no commit: its state is
//     Empty, PrepareAbort or CompleteAbort (a commit in progress or done is answered as above).
//     Kafka has no TRANSACTION_TIMED_OUT code: a timed-out transaction shows as one of these.
//     With transaction version 2 (4.x) the commit bumps the epoch; a retried commit at the old
//     epoch after it completed is answered NONE (the coordinator's retryOnEpochBump), so
//     INVALID_TXN_STATE still comes only from Empty, PrepareAbort or CompleteAbort (a timed-out
//     transaction fenced and aborted): read in Kafka 4.x's TransactionCoordinator.endTransaction.
//   - OPERATION_NOT_ATTEMPTED (kgo's own: its producer id had failed, the request was not sent)
//     and TRANSACTION_ABORTABLE (KIP-890: the coordinator wants an abort): notAttempted.
//   - everything else is unknown: CONCURRENT_TRANSACTIONS (the commit is in flight),
//     COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR (the coordinator maps a failed or lost
//     append of PrepareCommit onto these, and an append that was not acknowledged can still be
//     in its log and be completed by the next coordinator), COORDINATOR_LOAD_IN_PROGRESS,
//     REQUEST_TIMED_OUT, UNKNOWN_SERVER_ERROR, INVALID_PRODUCER_ID_MAPPING (our id is no longer
//     the transactional id's: kept unknown, as nothing says when that happened), transport
//     errors and context ends.
func classifyCommit(err error) endOutcome {
	if err == nil {
		return ended
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		switch ke.Code {
		case kerr.ProducerFenced.Code, kerr.InvalidProducerEpoch.Code, kerr.InvalidTxnState.Code:
			return notCommitted
		case kerr.OperationNotAttempted.Code, kerr.TransactionAbortable.Code:
			return notAttempted
		}
	}
	return unknown
}

// classifyAbort maps the error of EndTransaction(TryAbort), after a transaction that never asked
// to commit (or whose commit was not attempted), to what it proves:
//
//   - nil: aborted (or, when kgo's producer id had failed, the id is reloaded before the next
//     transaction, and that InitProducerID's epoch bump aborts whatever was left open);
//   - PRODUCER_FENCED, INVALID_PRODUCER_EPOCH: notCommitted: the epoch bump that fenced us
//     aborted the open transaction;
//   - anything else is unknown: no commit was asked for, but the abort was not confirmed
//     (recorded info, conservatively, as a crash mid-transaction is).
func classifyAbort(err error) endOutcome {
	if err == nil {
		return ended
	}
	var ke *kerr.Error
	if errors.As(err, &ke) && (ke.Code == kerr.ProducerFenced.Code || ke.Code == kerr.InvalidProducerEpoch.Code) {
		return notCommitted
	}
	return unknown
}

// commit flushes (sends are synchronous: nothing is buffered) and asks to commit, noting when.
func (c *client) commit(ctx context.Context) result {
	stepCtx, cancel := c.step(ctx)
	defer cancel()
	if err := c.prod.Flush(stepCtx); err != nil {
		cancel()
		return c.abort(ctx, fmt.Errorf("flush before the commit: %w", err))
	}
	at := c.w.rec.Now()
	err := c.prod.EndTransaction(stepCtx, kgo.TryCommit)
	var res result
	switch classifyCommit(err) {
	case ended:
		res = result{typ: history.OK}
	case notCommitted:
		res = result{typ: history.Fail, msg: "commit refused, the transaction did not commit: " + err.Error(), replace: true}
	case notAttempted:
		cancel()
		res = c.abort(ctx, fmt.Errorf("commit not attempted: %w", err))
	default:
		res = result{typ: history.Info, msg: "commit outcome unknown: " + err.Error(), replace: true}
	}
	res.commitAt = &at
	return res
}

// abort aborts the open transaction: on purpose when cause is nil, else after cause. A record
// still in flight is waited for first (AbortBufferedRecords), so that none lands in the next
// transaction.
func (c *client) abort(ctx context.Context, cause error) result {
	stepCtx, cancel := c.step(ctx)
	defer cancel()
	why := "aborted on purpose"
	if cause != nil {
		why = "aborted after an error: " + cause.Error()
	}
	if err := c.prod.AbortBufferedRecords(stepCtx); err != nil {
		return result{typ: history.Info, replace: true,
			msg: fmt.Sprintf("%s; a send still had no outcome when the abort gave up: %v", why, err)}
	}
	err := c.prod.EndTransaction(stepCtx, kgo.TryAbort)
	switch classifyAbort(err) {
	case ended:
		// A clean abort leaves the producer usable, unless an error came first.
		return result{typ: history.Fail, msg: why, replace: cause != nil && !errors.Is(cause, errRunEnded)}
	case notCommitted:
		return result{typ: history.Fail, msg: fmt.Sprintf("%s; the producer was fenced (the epoch bump aborted the transaction): %v", why, err), replace: true}
	}
	return result{typ: history.Info, replace: true, msg: fmt.Sprintf("%s; the abort was not confirmed: %v", why, err)}
}
