package workloads

import (
	"errors"
	"fmt"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
)

// Client names the Kafka client library that drives the queue workload's producers.
type Client string

// The clients. The zero value is kafka-go, the client of every run before franz-go.
const (
	ClientKafkaGo Client = "kafka-go" // segmentio/kafka-go: not idempotent
	ClientFranz   Client = "franz"    // twmb/franz-go's kgo: idempotent unless told otherwise
)

// ClientNames lists the valid Client values.
var ClientNames = []string{string(ClientKafkaGo), string(ClientFranz)}

// ParseClient parses "kafka-go" or "franz".
func ParseClient(s string) (Client, error) {
	switch c := Client(s); c {
	case ClientKafkaGo, ClientFranz:
		return c, nil
	}
	return "", fmt.Errorf("client %q: want kafka-go or franz", s)
}

// orDefault maps the zero value to kafka-go.
func (c Client) orDefault() Client {
	if c == "" {
		return ClientKafkaGo
	}
	return c
}

// CheckClient refuses a client setting the client cannot honour.
func (c QueueConfig) CheckClient() error {
	switch c.Client.orDefault() {
	case ClientKafkaGo:
		if c.Idempotent {
			return errors.New("queue config: kafka-go's producer cannot be idempotent (use the franz client)")
		}
	case ClientFranz:
		if c.Idempotent && c.Acks != AcksAll {
			return fmt.Errorf("queue config: an idempotent producer needs acks=all, got acks=%s (turn idempotence off for other acks)", c.Acks)
		}
	default:
		return fmt.Errorf("queue config: unknown client %q (valid: kafka-go, franz)", c.Client)
	}
	return nil
}

// DefaultIdempotent is whether c's producer is idempotent when nothing says otherwise.
func DefaultIdempotent(c Client) bool { return c.orDefault() == ClientFranz }

// ProducerSettings are the producer's settings that bear on its guarantee, as run: recorded in
// config.json and shown in the report, so a run's allowed anomalies can be read against them.
type ProducerSettings struct {
	Client     Client `json:"client"`
	Acks       Acks   `json:"acks"`
	Idempotent bool   `json:"idempotent"`
	// Retries says who retries a send and how often: kafka-go's are the workload's own (each
	// a fresh append), franz-go's are the client's (deduplicated when idempotent).
	Retries string `json:"retries"`
	// MaxInFlight is how many produce requests one producer may have outstanding per broker.
	MaxInFlight int `json:"max_in_flight"`
	// InFlightSends is how many sends one producer has outstanding, each its own process.
	InFlightSends int `json:"in_flight_sends"`
	// Linger is how long a partition's batch waits for more records before it is sent.
	Linger time.Duration `json:"linger"`
	// Batching says how records are grouped into produce requests.
	Batching string `json:"batching"`
	// OpTimeout bounds each send; a send without an outcome by then is info.
	OpTimeout time.Duration `json:"op_timeout"`
}

// franz-go settings the queue workload runs with, pinned here so that what config.json records
// is what ran. Linger is 0 (kgo's default is 10 ms): waiting for more records would only add
// latency, and the records a producer's in-flight sends queue while a request is out still go
// together in the next one.
const (
	franzLinger             = 0
	franzIdempotentInFlight = 5 // kgo's fixed window with idempotence (Kafka's limit)
	franzPlainInFlight      = 1 // kgo's default without idempotence
)

// Producer returns the settings the workload's producers run with.
func (c QueueConfig) Producer() ProducerSettings {
	c = c.filled()
	p := ProducerSettings{Client: c.Client.orDefault(), Acks: c.Acks, Idempotent: c.Idempotent, OpTimeout: c.OpTimeout,
		InFlightSends: c.InFlight}
	if p.Client == ClientKafkaGo {
		p.Retries = fmt.Sprintf("%d attempts per send, each a new append (the workload's, as kafka-go's Writer)", c.SendAttempts)
		p.MaxInFlight = c.InFlight // each in-flight send is a request of its own
		p.Batching = fmt.Sprintf("%d record per produce request", RecordsPerProduceRequest)
		return p
	}
	p.Retries = "unlimited within the op timeout (kgo's own; the workload never resends a value)"
	p.MaxInFlight = franzPlainInFlight
	if c.Idempotent {
		p.Retries = "unlimited within the op timeout (kgo's own, deduplicated by sequence number; the workload never resends a value)"
		p.MaxInFlight = franzIdempotentInFlight
	}
	p.Linger = franzLinger
	p.Batching = fmt.Sprintf("kgo's per-partition batches of what the producer's %d in-flight sends queue (one client per workload producer); each record's offset from its promise", c.InFlight)
	return p
}

// QueueAllowed are the checker anomalies a queue run with these producer settings must allow,
// each with a one-line reason for the run directory. An idempotent producer allows none.
func QueueAllowed(p ProducerSettings) map[checker.AnomalyType]string {
	allowed := map[checker.AnomalyType]string{}
	switch {
	case p.Client.orDefault() == ClientKafkaGo:
		allowed[checker.Duplicate] = "kafka-go's producer is not idempotent (no producer id or sequence numbers): like kafka-go's Writer, a send retries after an ambiguous error, so one value can be appended twice"
	case !p.Idempotent:
		allowed[checker.Duplicate] = "idempotence off: franz-go retries a produce request after an ambiguous error without sequence numbers, so one value can be appended twice"
	}
	return allowed
}
