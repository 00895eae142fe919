package txn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func (o endOutcome) String() string {
	return [...]string{"ended", "notCommitted", "notAttempted", "unknown"}[o]
}

// Only the answers that prove the transaction did not commit are notCommitted; kgo's own
// refusals to send the commit are notAttempted; every answer that leaves a commit possible,
// including retriable coordinator codes, timeouts and transport errors, is unknown.
func TestClassifyCommit(t *testing.T) {
	cases := []struct {
		err  error
		want endOutcome
	}{
		{nil, ended},
		{kerr.ProducerFenced, notCommitted},
		{kerr.InvalidProducerEpoch, notCommitted},
		{kerr.InvalidTxnState, notCommitted},
		{fmt.Errorf("end txn: %w", kerr.ProducerFenced), notCommitted},
		{kerr.OperationNotAttempted, notAttempted},
		{fmt.Errorf("recreated topic: %w, %w", kerr.TransactionAbortable, kerr.UnknownTopicID), notAttempted},
		{kerr.ConcurrentTransactions, unknown},
		{kerr.CoordinatorNotAvailable, unknown},
		{kerr.NotCoordinator, unknown},
		{kerr.CoordinatorLoadInProgress, unknown},
		{kerr.RequestTimedOut, unknown},
		{kerr.UnknownServerError, unknown},
		{kerr.InvalidProducerIDMapping, unknown},
		{kerr.NotEnoughReplicas, unknown},
		{context.DeadlineExceeded, unknown},
		{kgo.ErrClientClosed, unknown},
		{io.EOF, unknown},
		{&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, unknown},
		{errors.New("cannot retry a commit whose outcome is unconfirmed"), unknown},
	}
	for _, tc := range cases {
		if got := classifyCommit(tc.err); got != tc.want {
			t.Errorf("classifyCommit(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// An abort is confirmed by nil, and by a fencing (the epoch bump aborted the transaction); an
// INVALID_TXN_STATE answer to an abort is not taken as proof, nor is any retriable code.
func TestClassifyAbort(t *testing.T) {
	cases := []struct {
		err  error
		want endOutcome
	}{
		{nil, ended},
		{kerr.ProducerFenced, notCommitted},
		{fmt.Errorf("x: %w", kerr.InvalidProducerEpoch), notCommitted},
		{kerr.InvalidTxnState, unknown},
		{kerr.ConcurrentTransactions, unknown},
		{kerr.NotCoordinator, unknown},
		{kerr.OperationNotAttempted, unknown},
		{context.Canceled, unknown},
	}
	for _, tc := range cases {
		if got := classifyAbort(tc.err); got != tc.want {
			t.Errorf("classifyAbort(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
