package rundir

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Producer is config.json's "producer": the settings of the producers that bear on their
// guarantee (workloads.ProducerSettings). Runs from before the client choice have none.
type Producer struct {
	Client      string          `json:"client"`
	Acks        json.RawMessage `json:"acks"`
	Idempotent  bool            `json:"idempotent"`
	Retries     string          `json:"retries"`
	MaxInFlight int             `json:"max_in_flight"`
	Linger      time.Duration   `json:"linger"`
	Batching    string          `json:"batching"`
	OpTimeout   time.Duration   `json:"op_timeout"`
}

// clientNames are the clients' names as a reader knows them.
var clientNames = map[string]string{"kafka-go": "kafka-go", "franz": "franz-go"}

// ProducerLine renders the producer's settings for the report's parameters; "" when the run
// recorded none.
func (c *Config) ProducerLine() string {
	p := c.Producer
	if p == nil || p.Client == "" {
		return ""
	}
	name := clientNames[p.Client]
	if name == "" {
		name = p.Client
	}
	idempotence := "not idempotent"
	if p.Idempotent {
		idempotence = "idempotent"
	}
	parts := []string{name, idempotence, "acks=" + rawText(p.Acks), "retries: " + p.Retries,
		fmt.Sprintf("max %d in flight per broker", p.MaxInFlight), "linger " + p.Linger.String(), p.Batching,
		"op timeout " + p.OpTimeout.String()}
	return strings.Join(parts, ", ")
}

// ClientTag names a producer client other than kafka-go, for the index's one-line parameters.
func (c *Config) ClientTag() string {
	if t := c.Transactions; t != nil && t.Client != "" {
		return " · txn " + t.Isolation
	}
	p := c.Producer
	if p == nil || p.Client == "" || p.Client == "kafka-go" {
		return ""
	}
	if p.Idempotent {
		return " · " + p.Client + " idempotent"
	}
	return " · " + p.Client + " not idempotent"
}

// rawText renders a JSON value that is text ("all") or a number (1).
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
