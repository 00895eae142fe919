package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Client settings shared by the workload and the baseline, so the benchmark
// compares like with like.
const (
	// metadataTTL bounds how long a client keeps sending to a leader that
	// has moved; kafka-go's default is 6 s.
	metadataTTL = time.Second
	dialTimeout = 3 * time.Second
	// fetchMaxBytes is large against the workload's tiny records, so a
	// fetch is never cut short inside a batch.
	fetchMaxBytes = 4 << 20
)

// newClient returns a kafka-go client whose requests time out after
// opTimeout. Client.Timeout also sets the produce timeout sent to the
// broker (half of it), which otherwise defaults to 500 ms.
func newClient(bootstrap []string, topic string, opTimeout time.Duration) (*kafka.Client, *kafka.Transport) {
	transport := &kafka.Transport{
		Dial:           (&net.Dialer{Timeout: dialTimeout}).DialContext,
		DialTimeout:    dialTimeout,
		MetadataTTL:    metadataTTL,
		MetadataTopics: []string{topic},
		ClientID:       "kafkaesque-queue",
	}
	return &kafka.Client{Addr: kafka.TCP(bootstrap...), Timeout: opTimeout, Transport: transport}, transport
}

// NewKafkaGoClient is newClient, for the group workload (workloads/group).
func NewKafkaGoClient(bootstrap []string, topic string, opTimeout time.Duration) (*kafka.Client, *kafka.Transport) {
	return newClient(bootstrap, topic, opTimeout)
}

// DialTimeout bounds a connect of the kafka-go clients (the group's heartbeats too).
const DialTimeout = dialTimeout

// Key names a partition in histories: "<topic>-<partition>".
func Key(topic string, partition int) string { return topic + "-" + strconv.Itoa(partition) }

// produceOne sends value as the only record of one Produce request and
// returns the offset the broker assigned. Response codes come back wrapped
// in *brokerError; with acks=0 success is errNoAcknowledgement.
func produceOne(ctx context.Context, client *kafka.Client, topic string, partition int, acks Acks, value string) (int64, error) {
	res, err := client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        topic,
		Partition:    partition,
		RequiredAcks: acks.kafka(),
		Records:      kafka.NewRecordReader(kafka.Record{Value: kafka.NewBytes([]byte(value))}),
	})
	if err != nil {
		return 0, err
	}
	if acks == AcksNone {
		return 0, errNoAcknowledgement
	}
	if res == nil {
		return 0, errors.New("produce: no response")
	}
	if res.Error != nil {
		return 0, &brokerError{err: res.Error}
	}
	for _, recErr := range res.RecordErrors {
		return 0, &brokerError{err: fmt.Errorf("%w: %v", kafka.InvalidRecord, recErr)}
	}
	return res.BaseOffset, nil
}

// fetchFrom reads records of one partition from offset on. It returns them
// in the order the broker sent them (skipping the part of a batch before
// offset) and the partition's high watermark.
func fetchFrom(ctx context.Context, client *kafka.Client, topic string, partition int, offset int64, maxWait time.Duration) ([]history.Read, int64, error) {
	res, err := client.Fetch(ctx, &kafka.FetchRequest{
		Topic:     topic,
		Partition: partition,
		Offset:    offset,
		MinBytes:  1,
		MaxBytes:  fetchMaxBytes,
		MaxWait:   maxWait,
	})
	if err != nil {
		return nil, 0, err
	}
	if res.Error != nil {
		return nil, 0, fmt.Errorf("fetch %s from %d: %w", Key(topic, partition), offset, res.Error)
	}
	reads := make([]history.Read, 0)
	for {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return reads, res.HighWatermark, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("fetch %s from %d: read records: %w", Key(topic, partition), offset, err)
		}
		value, err := protocol.ReadAll(rec.Value)
		if rec.Value != nil {
			rec.Value.Close()
		}
		if err != nil {
			return nil, 0, fmt.Errorf("fetch %s from %d: read value at %d: %w", Key(topic, partition), offset, rec.Offset, err)
		}
		if rec.Offset < offset {
			continue // brokers return whole batches
		}
		reads = append(reads, history.Read{Offset: rec.Offset, Value: string(value)})
	}
}

// offsetRange returns a partition's log start offset and high watermark.
func offsetRange(ctx context.Context, client *kafka.Client, topic string, partition int) (earliest, highWatermark int64, err error) {
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {
			kafka.FirstOffsetOf(partition), kafka.LastOffsetOf(partition),
		}},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("list offsets of %s: %w", Key(topic, partition), err)
	}
	for _, p := range res.Topics[topic] {
		if p.Partition != partition {
			continue
		}
		if p.Error != nil {
			return 0, 0, fmt.Errorf("list offsets of %s: %w", Key(topic, partition), p.Error)
		}
		return p.FirstOffset, p.LastOffset, nil
	}
	return 0, 0, fmt.Errorf("list offsets of %s: partition missing from the response", Key(topic, partition))
}
