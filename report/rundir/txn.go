package rundir

import (
	"bytes"
	"encoding/json"

	"github.com/kafkaesque/kafkaesque/history"
)

// TxnCounts are the txn workload's transactions by outcome, for the report.
type TxnCounts struct {
	Committed, Aborted, Indeterminate int64
	// AbortedOnPurpose are the aborted transactions the workload meant to abort.
	AbortedOnPurpose int64
	// Incomplete are transactions invoked and never completed (the run ended first).
	Incomplete int64
}

// Total is the number of transactions invoked.
func (c TxnCounts) Total() int64 {
	return c.Committed + c.Aborted + c.Indeterminate + c.Incomplete
}

// TxnCoordinator is one transactional id's coordinator changes: each look-up that found a
// different broker than the one before.
type TxnCoordinator struct {
	TxnID  string
	Events []GroupEvent // Time and Broker
}

// txnInvoke notes whether a txn invocation plans an abort; the value is not otherwise kept.
func (s *HistoryScan) txnInvoke(op history.Op) {
	if s.txnAbort == nil {
		s.txnAbort = map[int]bool{}
	}
	s.txnAbort[op.Process] = bytes.Contains(op.Value, []byte(`"abort":true`))
	s.Txns.Incomplete++
}

// txn counts a completed transaction; it reports whether op was one.
func (s *HistoryScan) txn(op history.Op) bool {
	if op.F != history.FTxn {
		return false
	}
	s.Txns.Incomplete--
	switch op.Type {
	case history.OK:
		s.Txns.Committed++
	case history.Fail:
		s.Txns.Aborted++
		if s.txnAbort[op.Process] {
			s.Txns.AbortedOnPurpose++
		}
	default:
		s.Txns.Indeterminate++
	}
	return false // still a completion for the plots
}

// txnCoordinator files a transaction coordinator look-up; it reports whether op was one.
func (s *HistoryScan) txnCoordinator(op history.Op) bool {
	if op.F != history.FCoordinator || !bytes.Contains(op.Value, []byte(`"txn_id"`)) {
		return false
	}
	if op.Type != history.OK {
		return true
	}
	var v struct {
		TxnID  string `json:"txn_id"`
		Broker *int   `json:"broker"`
	}
	if json.Unmarshal(op.Value, &v) != nil || v.Broker == nil || v.TxnID == "" {
		return true
	}
	i := 0
	for i < len(s.TxnCoordinators) && s.TxnCoordinators[i].TxnID != v.TxnID {
		i++
	}
	if i == len(s.TxnCoordinators) {
		s.TxnCoordinators = append(s.TxnCoordinators, TxnCoordinator{TxnID: v.TxnID})
	}
	tc := &s.TxnCoordinators[i]
	if n := len(tc.Events); n == 0 || tc.Events[n-1].Broker != *v.Broker {
		tc.Events = append(tc.Events, GroupEvent{Time: op.Time, Broker: *v.Broker})
	}
	return true
}
