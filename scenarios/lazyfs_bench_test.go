package scenarios

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/harness"
)

// BenchmarkLazyfsThroughput measures what lazyfs costs the workload: fault-free runs of the safe
// configuration, alternating without and with the brokers' data on lazyfs (pairs times each),
// for the default flush and for a flush per message. It reports acknowledged sends per second of
// each and their ratio (with / without). Run it alone, once:
//
//	go test -run '^$' -bench LazyfsThroughput -benchtime 1x -timeout 30m ./scenarios
func BenchmarkLazyfsThroughput(b *testing.B) {
	const limit, pairs = 30 * time.Second, 2
	for _, flush := range []struct{ name, messages string }{{"default-flush", ""}, {"flush-every-message", "1"}} {
		b.Run(flush.name, func(b *testing.B) {
			var sends [2]int64 // without, with lazyfs
			for range b.N {
				for range pairs {
					for i, on := range []bool{false, true} {
						s := spec(safe, nil, limit, safeSchedule, 1)
						s.Cluster.Lazyfs.Kafka = on
						if flush.messages != "" {
							s.Cluster.BrokerConfig["log.flush.interval.messages"] = flush.messages
						}
						res := harness.Run(b, s)
						sends[i] += res.Result.Stats.SendsOK
						b.Logf("lazyfs %v: %d acknowledged sends in %s", on, res.Result.Stats.SendsOK, limit)
					}
				}
			}
			secs := limit.Seconds() * float64(pairs*b.N)
			b.ReportMetric(float64(sends[0])/secs, "sends/s-plain")
			b.ReportMetric(float64(sends[1])/secs, "sends/s-lazyfs")
			b.ReportMetric(float64(sends[1])/float64(sends[0]), "ratio")
		})
	}
}
