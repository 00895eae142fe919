package txn

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Client settings, as the queue workload's franz-go producers have them.
const (
	dialTimeout = 3 * time.Second
	// metadataMaxAge bounds how long a client keeps sending to a leader that has moved.
	metadataMaxAge = time.Second
	// pollTimeout bounds one poll mop: PollFetches returns what the consumer has buffered, or
	// waits this long for a fetch to come back.
	pollTimeout = 100 * time.Millisecond
	// consumerMaxWait is how long a broker may hold the consumer's background fetch.
	consumerMaxWait = 250 * time.Millisecond
	// minProduceTimeout is the least produce timeout kgo accepts.
	minProduceTimeout = 100 * time.Millisecond
)

// producer is what a transaction needs of a kgo client; tests fake it.
type producer interface {
	BeginTransaction() error
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
	Flush(ctx context.Context) error
	AbortBufferedRecords(ctx context.Context) error
	EndTransaction(ctx context.Context, commit kgo.TransactionEndTry) error
	Close()
}

// consumer is what a poll needs of a kgo client; tests fake it.
type consumer interface {
	PollFetches(ctx context.Context) kgo.Fetches
	Close()
}

// opener builds a client slot's producer and consumer.
type opener interface {
	producer(txnID string) (producer, error)
	// consumer starts at positions: per partition the next offset to read, -1 for the log start.
	consumer(txnID string, positions []int64) (consumer, error)
}

// franzOpener builds franz-go clients; its producers dial through conns, which can hold their
// requests (HoldRequests).
type franzOpener struct {
	cfg   Config
	conns *connHolds
}

func baseOpts(cfg Config, clientID string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ClientID(clientID),
		kgo.Dialer((&net.Dialer{Timeout: dialTimeout}).DialContext),
		kgo.MetadataMaxAge(metadataMaxAge),
		kgo.MetadataMinAge(metadataMaxAge / 4),
		kgo.DisableClientMetrics(),
	}
}

// producer is a transactional producer with the settings Settings records: idempotent (kgo's
// default, which transactions require), acks=all, the workload's partition on each record,
// no linger, and the configured transaction timeout. A new producer's first BeginTransaction
// runs InitProducerID, which bumps the transactional id's epoch: the producer it replaces is
// fenced, and the transaction that producer left open is aborted.
func (o franzOpener) producer(txnID string) (producer, error) {
	opts := append(baseOpts(o.cfg, txnID),
		kgo.TransactionalID(txnID),
		kgo.TransactionTimeout(o.cfg.TxnTimeout),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(franzLinger),
		kgo.ProduceRequestTimeout(max(o.cfg.OpTimeout/2, minProduceTimeout)),
		kgo.Dialer(o.conns.dialer(txnID, &net.Dialer{Timeout: dialTimeout})),
	)
	if o.cfg.RequestTimeoutOverhead > 0 {
		opts = append(opts, kgo.RequestTimeoutOverhead(o.cfg.RequestTimeoutOverhead))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz-go transactional producer %s: %w", txnID, err)
	}
	return cl, nil
}

// consumer reads every partition of the topic by assignment (no group), at the configured
// isolation level. At read-committed kgo drops aborted records itself, with the fetch
// response's aborted-transactions list, and control records (markers) always.
func (o franzOpener) consumer(txnID string, positions []int64) (consumer, error) {
	parts := make(map[int32]kgo.Offset, len(positions))
	for p, pos := range positions {
		if pos < 0 {
			parts[int32(p)] = kgo.NewOffset().AtStart()
		} else {
			parts[int32(p)] = kgo.NewOffset().At(pos)
		}
	}
	opts := append(baseOpts(o.cfg, txnID+"-consumer"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.cfg.Topic: parts}),
		kgo.FetchIsolationLevel(o.cfg.Isolation.franz()),
		kgo.FetchMaxWait(consumerMaxWait),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz-go consumer of %s: %w", txnID, err)
	}
	return cl, nil
}

// newAdmin is the workload's plain client, for coordinator look-ups and the drain's requests.
func newAdmin(cfg Config) (*kgo.Client, error) {
	cl, err := kgo.NewClient(baseOpts(cfg, "kafkaesque-txn-admin")...)
	if err != nil {
		return nil, fmt.Errorf("franz-go admin client: %w", err)
	}
	return cl, nil
}
