package cluster

import (
	"context"
	"testing"
	"time"
)

// BenchmarkClusterStart measures start-up to ready (1 ZooKeeper, 3 brokers, the default topic
// with leaders for all partitions and configs verified), and teardown separately.
func BenchmarkClusterStart(b *testing.B) { benchStart(b, Config{Name: "kq-bench"}) }

// BenchmarkKRaftClusterStart measures the same for KRaft on the newest release: 3 controllers
// and 3 brokers, the quorum led, every broker registered and unfenced, leaders for all partitions.
func BenchmarkKRaftClusterStart(b *testing.B) {
	benchStart(b, Config{Name: "kq-bench", KafkaVersion: newestKRaftVersion})
}

func benchStart(b *testing.B, cfg Config) {
	RequireDocker(b)
	ctx := context.Background()
	var teardown time.Duration
	for b.Loop() {
		c, err := Start(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		t0 := time.Now()
		if err := c.Close(ctx, ""); err != nil {
			b.Fatal(err)
		}
		teardown += time.Since(t0)
		b.StartTimer()
	}
	b.ReportMetric(teardown.Seconds()/float64(b.N), "teardown-s/op")
}
