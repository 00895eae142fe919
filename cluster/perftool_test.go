package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestParseProducerPerf(t *testing.T) {
	out := "[2026-12-01 22:00:00,000] WARN something (org.apache.kafka)\n" +
		"96001 records sent, 19200.2 records/sec (0.29 MB/sec), 80.1 ms avg latency, 410.0 ms max latency.\n" +
		"500000 records sent, 212404.418012 records/sec (3.24 MB/sec), 232.66 ms avg latency, 508.00 ms max latency, 228 ms 50th, 440 ms 95th, 491 ms 99th, 505 ms 99.9th.\n"
	p, err := parseProducerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Records != 500000 || p.RecordsPerSec != 212404.418012 || p.MBPerSec != 3.24 || p.AvgLatencyMs != 232.66 || p.MaxLatencyMs != 508 || p.P99LatencyMs != 491 {
		t.Errorf("parsed %+v", p)
	}
	// The 5 s progress lines have no percentiles: without the summary there is no result.
	if _, err := parseProducerPerf("96001 records sent, 19200.2 records/sec (0.29 MB/sec), 80.1 ms avg latency, 410.0 ms max latency.\nException in thread main"); err == nil ||
		!strings.Contains(err.Error(), "no summary") || !strings.Contains(err.Error(), "Exception") {
		t.Errorf("output without a summary: %v", err)
	}
}

// TestDockerProducerPerfWrites runs Kafka's producer benchmark against a cluster: it reports every
// record sent, and the topic's partitions grew by exactly that many records.
func TestDockerProducerPerfWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster (-short)")
	}
	c := StartTestCluster(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const records = 20000
	p, err := c.RunProducerPerf(ctx, ProducerPerfConfig{Topic: DefaultTopic, Records: records, RecordSize: 16, Props: map[string]string{"acks": "all"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Records != records || p.RecordsPerSec <= 0 || p.Elapsed <= 0 {
		t.Errorf("perf tool reported %+v", p)
	}
	client := &kafka.Client{Addr: kafka.TCP(c.BootstrapServers()...), Timeout: 10 * time.Second}
	var total int64
	for part := range 3 {
		res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			DefaultTopic: {kafka.LastOffsetOf(part)}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, po := range res.Topics[DefaultTopic] {
			if po.Error != nil {
				t.Fatal(po.Error)
			}
			total += po.LastOffset
		}
	}
	if total != records {
		t.Errorf("the topic holds %d records after the tool sent %d", total, records)
	}
	// Records over max.request.size (1 MB) all fail: the tool runs to its end, having sent none.
	if _, err := c.RunProducerPerf(ctx, ProducerPerfConfig{Topic: DefaultTopic, Records: 10, RecordSize: 2 << 20,
		Props: map[string]string{"acks": "all"}}); err == nil || !strings.Contains(err.Error(), "sent 0 of 10 records") {
		t.Errorf("a tool whose every record failed: %v, want an error saying it sent 0 of 10", err)
	}
	if _, err := c.RunProducerPerf(ctx, ProducerPerfConfig{Topic: DefaultTopic, Records: 10, RecordSize: 16,
		Props: map[string]string{"bootstrap.servers": "192.0.2.1:9"}}); err == nil || !strings.Contains(err.Error(), "bootstrap.servers") {
		t.Errorf("bootstrap.servers in Props: %v, want it refused", err)
	}
}
