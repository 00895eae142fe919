package workloads

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// errNoOutcome is a franz-go send that had no outcome when its op timeout ended. With
// idempotence kgo refuses to fail a record that is in flight, so it may still be appended.
var errNoOutcome = errors.New("no outcome within the op timeout: the record may still be appended")

// franzProducer is one producer's franz-go client: its own producer id when idempotent, so
// that each workload producer is one idempotent session, as each Jepsen process is.
type franzProducer struct {
	client *kgo.Client
	topic  string
	acks   Acks
}

// newFranzProducer builds a client with the settings ProducerSettings records. kgo validates
// them here (e.g. idempotence needs acks=all), before anything is sent.
func newFranzProducer(cfg QueueConfig, id int) (*franzProducer, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ClientID(fmt.Sprintf("kafkaesque-queue-franz-%d", id)),
		kgo.Dialer((&net.Dialer{Timeout: dialTimeout}).DialContext),
		kgo.MetadataMaxAge(metadataTTL),
		kgo.MetadataMinAge(metadataTTL / 4),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(cfg.Acks.franz()),
		kgo.ProducerLinger(franzLinger),
		// As kafka-go's Client.Timeout: the broker may wait half the op for the ISR.
		kgo.ProduceRequestTimeout(max(cfg.OpTimeout/2, minFranzProduceTimeout)),
		kgo.DisableClientMetrics(),
		kgo.MaxBufferedRecords(maxBufferedRecords(cfg.filled().InFlight)),
	}
	if !cfg.Idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(franzPlainInFlight))
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz-go producer %d: %w", id, err)
	}
	return &franzProducer{client: client, topic: cfg.Topic, acks: cfg.Acks}, nil
}

// minFranzProduceTimeout is the least produce timeout kgo accepts.
const minFranzProduceTimeout = 100 * time.Millisecond

// acknowledged is the offset a promise reports, or why it reports none.
func (p *franzProducer) acknowledged(r *kgo.Record, partition int, err error) (int64, error) {
	switch {
	case err != nil:
		return 0, err
	case p.acks == AcksNone:
		return 0, errNoAcknowledgement
	case r.Topic != p.topic || int(r.Partition) != partition:
		return 0, fmt.Errorf("franz-go acknowledged %s-%d, the send was for %s", r.Topic, r.Partition, Key(p.topic, partition))
	}
	return r.Offset, nil
}

func (p *franzProducer) close() { p.client.Close() }
