package kafkastate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"
)

// BrokerPartitions asks one broker directly (no client's cached metadata) for a topic's
// partitions, sorted by partition.
func BrokerPartitions(ctx context.Context, b Endpoint, topic string) ([]kafka.Partition, error) {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := (&kafka.Dialer{Timeout: 2 * time.Second}).DialContext(dctx, "tcp", b.Addr)
	if err != nil {
		return nil, fmt.Errorf("metadata from %s: %w", b.Name, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("metadata from %s: %w", b.Name, err)
	}
	slices.SortFunc(parts, func(a, b kafka.Partition) int { return a.ID - b.ID })
	return parts, nil
}
