// Package txn is the transactional workload, after Jepsen's Kafka workload: each client is a
// franz-go transactional producer and a consumer of one process, and each op is a transaction of
// sends and polls, committed or aborted as one (docs/history-format.md, the txn op).
package txn

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Isolation is the consumers' fetch isolation level.
type Isolation string

// The isolation levels. The zero value means ReadCommitted.
const (
	ReadCommitted   Isolation = "read-committed"   // aborted and undecided records are hidden
	ReadUncommitted Isolation = "read-uncommitted" // every appended record is returned
)

// ParseIsolation parses "read-committed" or "read-uncommitted".
func ParseIsolation(s string) (Isolation, error) {
	switch i := Isolation(s); i {
	case ReadCommitted, ReadUncommitted:
		return i, nil
	}
	return "", fmt.Errorf("isolation %q: want %s or %s", s, ReadCommitted, ReadUncommitted)
}

func (i Isolation) franz() kgo.IsolationLevel {
	if i == ReadUncommitted {
		return kgo.ReadUncommitted()
	}
	return kgo.ReadCommitted()
}

// Defaults for the zero values of Config.
const (
	DefaultAbortRate  = 0.1
	DefaultMaxMops    = 4
	DefaultTxnTimeout = 10 * time.Second
	DefaultOpTimeout  = workloads.DefaultOpTimeout
	// maxTxnTimeout is the brokers' default transaction.max.timeout.ms: a longer timeout is
	// refused by InitProducerID (INVALID_TRANSACTION_TIMEOUT).
	maxTxnTimeout = 15 * time.Minute
)

// Config configures the txn workload.
type Config struct {
	Bootstrap  []string // broker addresses, host:port
	Topic      string
	Partitions int // partitions 0..Partitions-1 of Topic are used
	// Clients is the number of concurrent transactional clients: each one transactional
	// producer and one consumer, one process at a time.
	Clients int
	// Isolation is the consumers' fetch isolation; the zero value is ReadCommitted.
	Isolation Isolation
	// AbortRate is the share of transactions aborted on purpose, in [0, 1], taken as given: 0
	// means none. Callers fill in DefaultAbortRate when the user said nothing (the harness does).
	AbortRate float64
	// TxnDelay is the pause between the mops of a transaction, to widen the windows faults can
	// hit; 0: none.
	TxnDelay time.Duration
	// CrashInterval is the mean time between deliberate crashes of each client (Jepsen's
	// crash-client), exponentially distributed; 0: clients never crash on purpose.
	CrashInterval time.Duration
	// MaxMops bounds each transaction's mops: 1 to MaxMops, drawn uniformly; default DefaultMaxMops.
	MaxMops int
	// TxnTimeout is the producers' transaction.timeout.ms; default DefaultTxnTimeout, short so
	// that the coordinator aborts a held client's transaction within a run.
	TxnTimeout time.Duration
	// OpTimeout bounds each step of a transaction (begin, a send, the commit or abort) and each
	// drain fetch; default DefaultOpTimeout.
	OpTimeout time.Duration
	// RequestTimeoutOverhead is the producers' kgo request timeout overhead: how long past its
	// own timeout (OpTimeout/2 for a produce request) a request is given up and retried on a
	// new connection; 0: kgo's default (10 s). delay-client-request runs with
	// HoldRequestOverhead, so the client gives up on a held request within its op timeout.
	RequestTimeoutOverhead time.Duration
	// Rate limits each client to this many transactions per second; 0: no limit.
	Rate float64
	// Processes allocates process ids; nil means the workload has its own. Share one allocator
	// between all workloads of a run.
	Processes *workloads.ProcessIDs
}

// withDefaults fills the zero values and refuses what cannot run, naming the problem.
func (c Config) withDefaults() (Config, error) {
	if c.Isolation == "" {
		c.Isolation = ReadCommitted
	}
	if c.MaxMops == 0 {
		c.MaxMops = DefaultMaxMops
	}
	if c.TxnTimeout == 0 {
		c.TxnTimeout = DefaultTxnTimeout
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.Processes == nil {
		c.Processes = new(workloads.ProcessIDs)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("txn config: "+format, args...)) }
	if len(c.Bootstrap) == 0 {
		bad("no bootstrap servers")
	}
	if c.Topic == "" {
		bad("no topic")
	}
	if c.Partitions < 1 {
		bad("Partitions must be >= 1, got %d", c.Partitions)
	}
	if c.Clients < 1 {
		bad("Clients must be >= 1, got %d", c.Clients)
	}
	if _, err := ParseIsolation(string(c.Isolation)); err != nil {
		bad("%v", err)
	}
	if c.AbortRate < 0 || c.AbortRate > 1 || math.IsNaN(c.AbortRate) {
		bad("AbortRate must be in [0, 1], got %v", c.AbortRate)
	}
	if c.RequestTimeoutOverhead < 0 {
		bad("RequestTimeoutOverhead must not be negative, got %s", c.RequestTimeoutOverhead)
	}
	if c.TxnDelay < 0 || c.CrashInterval < 0 || c.OpTimeout < 0 {
		bad("TxnDelay, CrashInterval and OpTimeout must not be negative (got %s, %s, %s)", c.TxnDelay, c.CrashInterval, c.OpTimeout)
	}
	if c.MaxMops < 1 {
		bad("MaxMops must be >= 1, got %d", c.MaxMops)
	}
	if c.TxnTimeout < time.Millisecond || c.TxnTimeout > maxTxnTimeout {
		bad("TxnTimeout must be in [1ms, %s] (the brokers' transaction.max.timeout.ms), got %s", maxTxnTimeout, c.TxnTimeout)
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) {
		bad("Rate must not be negative, got %v", c.Rate)
	}
	return c, errors.Join(errs...)
}

// Settings are the workload's settings that bear on its guarantee, as run: recorded in
// config.json and shown in the report.
type Settings struct {
	Client     workloads.Client `json:"client"`
	Acks       workloads.Acks   `json:"acks"`
	Idempotent bool             `json:"idempotent"`
	Isolation  Isolation        `json:"isolation"`
	// TransactionTimeout is the producers' transaction.timeout.ms: the coordinator aborts a
	// transaction left open this long.
	TransactionTimeout time.Duration `json:"transaction_timeout"`
	AbortRate          float64       `json:"abort_rate"`
	TxnDelay           time.Duration `json:"txn_delay"`
	CrashInterval      time.Duration `json:"crash_interval"`
	MaxMops            int           `json:"max_mops"`
	// MaxInFlight is how many produce requests one producer may have outstanding per broker.
	MaxInFlight int    `json:"max_in_flight"`
	Retries     string `json:"retries"`
	// Linger is how long a partition's batch waits for more records before it is sent.
	Linger    time.Duration `json:"linger"`
	OpTimeout time.Duration `json:"op_timeout"`
	// RequestTimeoutOverhead is kgo's request timeout overhead; 0: kgo's default (10 s). The
	// delay faults shorten it so the client gives up on a held request and goes on.
	RequestTimeoutOverhead time.Duration `json:"request_timeout_overhead,omitempty"`
}

// franz-go settings the producers run with, pinned so that what Settings records is what ran.
const (
	franzLinger      = 0 // one send outstanding per client: waiting for more would only add latency
	franzMaxInFlight = 5 // kgo's fixed window with idempotence (Kafka's limit)
)

// Settings returns the settings the workload runs with.
func (w *Workload) Settings() Settings { return settingsOf(w.cfg) }

// SettingsOf returns the settings a workload of cfg would run with (its defaults filled in), for
// config.json before the workload starts; an invalid cfg gives its error.
func SettingsOf(cfg Config) (Settings, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Settings{}, err
	}
	return settingsOf(c), nil
}

func settingsOf(c Config) Settings {
	return Settings{
		Client: workloads.ClientFranz, Acks: workloads.AcksAll, Idempotent: true,
		Isolation: c.Isolation, TransactionTimeout: c.TxnTimeout, AbortRate: c.AbortRate,
		TxnDelay: c.TxnDelay, CrashInterval: c.CrashInterval, MaxMops: c.MaxMops,
		MaxInFlight: franzMaxInFlight,
		Retries:     "unlimited within the op timeout (kgo's own, deduplicated by sequence number; the workload never resends a value)",
		Linger:      franzLinger, OpTimeout: c.OpTimeout, RequestTimeoutOverhead: c.RequestTimeoutOverhead,
	}
}
