package harness

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	checktxn "github.com/kafkaesque/kafkaesque/checker/txn"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/kafkaesque/kafkaesque/workloads/txn"
)

// WorkloadTxn is the transactional workload (workloads/txn): franz-go transactional producers,
// each with its own consumer, after Jepsen's Kafka workload.
const WorkloadTxn = "txn"

// Isolation levels of the txn workload's consumers.
const (
	ReadCommitted   = "read-committed"
	ReadUncommitted = "read-uncommitted"
)

// TxnSpec configures the transactional workload. The workload's clients are Producers (each a
// transactional producer with its own consumer); Consumers does not apply.
type TxnSpec struct {
	// Isolation is the consumers' fetch isolation: read-committed (default) or read-uncommitted.
	Isolation string `json:"isolation"`
	// AbortRate is the share of transactions aborted on purpose; nil means 0.1.
	AbortRate *float64 `json:"abort_rate,omitempty"`
	// Delay spaces the micro-operations of a transaction out, to widen the windows faults hit.
	Delay time.Duration `json:"delay,omitempty"`
	// Timeout is the producers' transaction.timeout.ms; default 10 s, so a transaction held by a
	// paused client is aborted by its coordinator within a run.
	Timeout time.Duration `json:"timeout"`
}

// DefaultAbortRate is the share of transactions the txn workload aborts on purpose.
const DefaultAbortRate = 0.1

// DefaultTxnTimeout is the txn workload's transaction.timeout.ms.
const DefaultTxnTimeout = 10 * time.Second

// txnDefaults fills and checks the txn workload's settings. The txn workload is franz-go's and
// idempotent (transactions need it) with acks=all; asking for anything else is refused.
func (w *WorkloadSpec) txnDefaults() error {
	if w.Name != WorkloadTxn {
		if w.Txn != nil {
			return fmt.Errorf("run spec: transaction settings given for the %s workload (they need the txn workload)", w.Name)
		}
		return nil
	}
	if w.Txn == nil {
		w.Txn = &TxnSpec{}
	}
	t := w.Txn
	var errs []error
	switch t.Isolation {
	case "":
		t.Isolation = ReadCommitted
	case ReadCommitted, ReadUncommitted:
	default:
		errs = append(errs, fmt.Errorf("run spec: unknown isolation %q (valid: %s, %s)", t.Isolation, ReadCommitted, ReadUncommitted))
	}
	if t.AbortRate == nil {
		rate := DefaultAbortRate
		t.AbortRate = &rate
	}
	if r := *t.AbortRate; r < 0 || r > 1 || math.IsNaN(r) {
		errs = append(errs, fmt.Errorf("run spec: abort rate must be in [0, 1], got %v", r))
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTxnTimeout
	}
	if t.Delay < 0 || t.Timeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("run spec: transaction delay must not be negative (got %s) and the transaction timeout must be at least 1ms (got %s)", t.Delay, t.Timeout))
	}
	// A transaction of the most mops waits the delay between each two: if that reaches the
	// timeout, every such transaction is aborted by its coordinator and the run tests little.
	if gaps := time.Duration(txn.DefaultMaxMops-1) * t.Delay; t.Delay > 0 && gaps >= t.Timeout {
		errs = append(errs, fmt.Errorf("run spec: a transaction of %d mops waits %s between them (%d x the transaction delay %s), at or past the transaction timeout %s: lower the delay or raise the timeout",
			txn.DefaultMaxMops, gaps, txn.DefaultMaxMops-1, t.Delay, t.Timeout))
	}
	switch w.Client {
	case "":
		w.Client = workloads.ClientFranz
	case workloads.ClientFranz:
	default:
		errs = append(errs, fmt.Errorf("run spec: the txn workload's client is franz-go, not %s (transactions need franz-go)", w.Client))
	}
	if w.Idempotent != nil && !*w.Idempotent {
		errs = append(errs, errors.New("run spec: the txn workload's producers are idempotent (transactions need it); idempotence cannot be turned off"))
	}
	idempotent := true
	w.Idempotent = &idempotent
	if w.Acks != workloads.AcksAll {
		errs = append(errs, fmt.Errorf("run spec: the txn workload needs acks=all (transactions need an idempotent producer), got acks=%s", w.Acks))
	}
	if w.Consumers != 0 {
		errs = append(errs, fmt.Errorf("run spec: the txn workload has no separate consumers (each of its %d clients has its own); Consumers must be 0, got %d", w.Producers, w.Consumers))
	}
	if errs != nil {
		return errors.Join(errs...)
	}
	// The workload's own checks, with a stand-in for the brokers it does not know yet.
	if _, err := txn.SettingsOf(txnConfig(*w, nil, bootstrapUnknown)); err != nil {
		return fmt.Errorf("run spec: %w", err)
	}
	return nil
}

// txnConfig is the txn workload's config for w (defaults filled in), its clients bootstrapping
// from bootstrap.
func txnConfig(w WorkloadSpec, faults []string, bootstrap []string) txn.Config {
	t := w.Txn
	cfg := txn.Config{
		Bootstrap: bootstrap, Topic: w.Topic, Partitions: w.Partitions, Clients: w.Producers,
		Isolation: txn.Isolation(t.Isolation), AbortRate: *t.AbortRate, TxnDelay: t.Delay,
		CrashInterval: w.CrashInterval, TxnTimeout: t.Timeout, Rate: w.Rate,
	}
	if slices.Contains(faults, "delay-client-request") || slices.Contains(faults, "delay-client-end-txn") {
		// A client must give up on a held request within its op timeout and go on.
		cfg.RequestTimeoutOverhead = txn.HoldRequestOverhead
	}
	return cfg
}

// txnRunConfig is config.json's record for the txn workload: its settings, and the anomalies
// Kafka's design allows at its isolation level.
func txnRunConfig(spec RunSpec) (*txn.Settings, map[checker.AnomalyType]string) {
	allowed := checktxn.Allowed(spec.Workload.Txn.Isolation)
	settings, err := txn.SettingsOf(txnConfig(spec.Workload, spec.Faults, bootstrapUnknown))
	if err != nil {
		return nil, allowed // txnDefaults refused this spec already; nothing runs
	}
	return &settings, allowed
}

// bootstrapUnknown stands in for the brokers' addresses where a txn config is only checked.
var bootstrapUnknown = []string{"brokers-not-started:9092"}

// txnAbortCheckInterval is how often the txn workload's brokers look for transactions past
// their timeout (Kafka's default is 10 s): a transaction held by a paused client is then
// aborted within about a second of its timeout, inside a fault's hold.
const txnAbortCheckInterval = "1000"

// withTxnBrokerDefaults returns config with the txn workload's broker settings added where the
// user set none; the caller's map is not changed. config.json records the result.
func withTxnBrokerDefaults(config map[string]string) map[string]string {
	out := maps.Clone(config)
	if out == nil {
		out = map[string]string{}
	}
	const key = "transaction.abort.timed.out.transaction.cleanup.interval.ms"
	if _, set := out[key]; !set {
		out[key] = txnAbortCheckInterval
	}
	return out
}
