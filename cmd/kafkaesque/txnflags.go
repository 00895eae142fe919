package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/spf13/pflag"
)

// txnFlags configure the transactional workload (--workload txn).
type txnFlags struct {
	isolation string
	abortRate float64
	delay     time.Duration
	timeout   time.Duration
}

// txnFlagNames are the flags that only the txn workload takes.
var txnFlagNames = []string{"isolation", "abort-rate", "txn-delay", "txn-timeout"}

func (o *txnFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.isolation, "isolation", harness.ReadCommitted, "--workload txn: the consumers' isolation level, "+harness.ReadCommitted+" or "+harness.ReadUncommitted+" (which allows aborted and uncommitted reads)")
	fs.Float64Var(&o.abortRate, "abort-rate", harness.DefaultAbortRate, "--workload txn: share of transactions aborted on purpose, 0 to 1")
	fs.DurationVar(&o.delay, "txn-delay", 0, "--workload txn: pause between the sends and polls of a transaction, to widen the windows faults hit (0: none)")
	fs.DurationVar(&o.timeout, "txn-timeout", harness.DefaultTxnTimeout, "--workload txn: the producers' transaction.timeout.ms (a client paused longer has its transaction aborted by the coordinator)")
}

// apply sets the txn workload's settings, or refuses a txn flag given for another workload
// and a queue flag given for the txn workload: nothing is silently ignored.
func (o *txnFlags) apply(w *harness.WorkloadSpec, client clientFlags, fs *pflag.FlagSet) error {
	if w.Name != harness.WorkloadTxn {
		for _, name := range txnFlagNames {
			if fs.Changed(name) {
				return fmt.Errorf("--%s: configures the txn workload (add --workload txn)", name)
			}
		}
		return nil
	}
	var errs []error
	if fs.Changed("consumers") {
		errs = append(errs, errors.New("--consumers: the txn workload's clients (--producers) each have their own consumer"))
	}
	if fs.Changed("client") && client.client != string(workloads.ClientFranz) {
		errs = append(errs, fmt.Errorf("--client %s: the txn workload's client is franz-go (transactions need it)", client.client))
	}
	if fs.Changed("idempotent") && !client.idempotent {
		errs = append(errs, errors.New("--idempotent=false: transactional producers are idempotent"))
	}
	// The harness takes a zero value as "not given": an explicit one must not become a default.
	if fs.Changed("txn-timeout") && o.timeout <= 0 {
		errs = append(errs, fmt.Errorf("--txn-timeout must be positive, got %s", o.timeout))
	}
	if fs.Changed("isolation") && o.isolation != harness.ReadCommitted && o.isolation != harness.ReadUncommitted {
		errs = append(errs, fmt.Errorf("--isolation: unknown level %q (valid: %s, %s)", o.isolation, harness.ReadCommitted, harness.ReadUncommitted))
	}
	if errs != nil {
		return errors.Join(errs...)
	}
	rate := o.abortRate
	w.Consumers = 0
	w.Client, w.Idempotent = workloads.ClientFranz, nil // idempotent: the txn defaults fill it in
	w.Txn = &harness.TxnSpec{Isolation: o.isolation, AbortRate: &rate, Delay: o.delay, Timeout: o.timeout}
	return nil
}
