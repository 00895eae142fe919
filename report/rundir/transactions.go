package rundir

import (
	"fmt"
	"strings"
	"time"
)

// Transactions is config.json's "transactions": the txn workload's settings that bear on its
// guarantee (workloads/txn.Settings). Other workloads have none.
type Transactions struct {
	Client             string        `json:"client"`
	Isolation          string        `json:"isolation"`
	TransactionTimeout time.Duration `json:"transaction_timeout"`
	AbortRate          float64       `json:"abort_rate"`
	TxnDelay           time.Duration `json:"txn_delay"`
	CrashInterval      time.Duration `json:"crash_interval"`
	MaxMops            int           `json:"max_mops"`
	MaxInFlight        int           `json:"max_in_flight"`
	Retries            string        `json:"retries"`
	OpTimeout          time.Duration `json:"op_timeout"`
}

// TransactionsLine renders the txn workload's settings for the report's parameters; "" when the
// run recorded none.
func (c *Config) TransactionsLine() string {
	t := c.Transactions
	if t == nil || t.Client == "" {
		return ""
	}
	crash := "clients crash only on indeterminate outcomes"
	if t.CrashInterval > 0 {
		crash = "clients also crash every " + t.CrashInterval.String() + " on average"
	}
	parts := []string{clientNames[t.Client] + " transactional producers (idempotent, acks=all)", t.Isolation + " consumers",
		fmt.Sprintf("%.0f%% aborted on purpose", 100*t.AbortRate), fmt.Sprintf("1-%d sends and polls each", t.MaxMops),
		"transaction timeout " + t.TransactionTimeout.String(), "delay between mops " + t.TxnDelay.String(), crash,
		fmt.Sprintf("max %d in flight per broker", t.MaxInFlight), "op timeout " + t.OpTimeout.String()}
	return strings.Join(parts, ", ")
}
