package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/kafkaesque/kafkaesque/workloads/txn"
)

// The txn workload's defaults: franz-go, idempotent, read-committed, the default abort rate and
// transaction timeout, no separate consumers.
func TestTxnSpecDefaults(t *testing.T) {
	s, err := specWith(WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	w := s.Workload
	if w.Client != workloads.ClientFranz || w.Idempotent == nil || !*w.Idempotent || w.Consumers != 0 {
		t.Errorf("txn workload spec %+v: want franz-go, idempotent, no consumers", w)
	}
	if w.Txn == nil || w.Txn.Isolation != ReadCommitted || w.Txn.AbortRate == nil || *w.Txn.AbortRate != DefaultAbortRate || w.Txn.Timeout != DefaultTxnTimeout {
		t.Errorf("txn settings %+v, want read-committed, abort rate %v, timeout %s", w.Txn, DefaultAbortRate, DefaultTxnTimeout)
	}
	// A zero abort rate is a choice, not a missing value.
	zero := 0.0
	s, err = specWith(WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{AbortRate: &zero, Isolation: ReadUncommitted}}).withDefaults()
	if err != nil || *s.Workload.Txn.AbortRate != 0 || s.Workload.Txn.Isolation != ReadUncommitted {
		t.Errorf("abort rate 0 and read-uncommitted: %+v, %v", s.Workload.Txn, err)
	}
}

func TestTxnSpecsRefused(t *testing.T) {
	rate := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		w    WorkloadSpec
		want string
	}{
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksLeader}, "needs acks=all"},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Client: workloads.ClientKafkaGo}, "client is franz-go, not kafka-go"},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Idempotent: idempotence(false)}, "idempotence cannot be turned off"},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Consumers: 2}, "Consumers must be 0"},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{Isolation: "serializable"}}, `unknown isolation "serializable"`},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{AbortRate: rate(1.5)}}, "abort rate must be in [0, 1], got 1.5"},
		{WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{Delay: -time.Second}}, "delay must not be negative"},
		{WorkloadSpec{Acks: workloads.AcksAll, Txn: &TxnSpec{}}, "transaction settings given for the queue workload"},
	} {
		if err := specWith(tc.w).Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %q", tc.w, err, tc.want)
		}
	}
}

// A transaction fault on another workload is refused before anything starts.
func TestTxnFaultsNeedTheTxnWorkload(t *testing.T) {
	s := specWith(WorkloadSpec{Acks: workloads.AcksAll})
	s.Faults = []string{"kill-txn-coordinator"}
	s.TimeLimit = time.Minute
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "kill-txn-coordinator needs the txn workload") {
		t.Errorf("kill-txn-coordinator on the queue workload: %v", err)
	}
}

// A delay that adds up to the transaction timeout over one transaction's mops is refused; just
// under it is accepted.
func TestTxnDelayAgainstTimeout(t *testing.T) {
	s := specWith(WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{Delay: 4 * time.Second, Timeout: 12 * time.Second}})
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "at or past the transaction timeout 12s") {
		t.Errorf("3 x 4s against a 12s timeout: %v", err)
	}
	s = specWith(WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll, Txn: &TxnSpec{Delay: 3 * time.Second, Timeout: 10 * time.Second}})
	if err := s.Validate(); err != nil {
		t.Errorf("3 x 3s against a 10s timeout: %v", err)
	}
}

// The delay faults shorten the producers' request timeout overhead, and config.json says so.
func TestTxnRunConfigRecordsTheRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		faults []string
		want   time.Duration
	}{
		{nil, 0},
		{[]string{"delay-client-end-txn"}, txn.HoldRequestOverhead},
	} {
		s := specWith(WorkloadSpec{Name: WorkloadTxn, Acks: workloads.AcksAll})
		s.Faults = tc.faults
		s, err := s.withDefaults()
		if err != nil && tc.faults == nil {
			t.Fatal(err)
		}
		cfg := newRunConfig(s)
		if cfg.Transactions == nil || cfg.Transactions.RequestTimeoutOverhead != tc.want {
			t.Errorf("faults %v: transactions %+v, want request timeout overhead %s", tc.faults, cfg.Transactions, tc.want)
		}
	}
}
