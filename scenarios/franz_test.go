package scenarios

import (
	"slices"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/workloads"
)

// Ground truth for franz-go's idempotent producer: in the safe configuration a run under a
// leader kill and a leader cut is valid with nothing allowed, a duplicate included, on 3.9.2
// with ZooKeeper and on the newest 4.x in KRaft.
func TestFranzIdempotentProducerWritesOnce(t *testing.T) {
	faults := []string{"kill-leader", "isolate-leader"}
	// Room for a killed broker's restart after its hold: its session must expire first, and it
	// recovers the log it was writing (32 sends in flight per producer fill it fast), so the
	// next fault may start 20 s after the kill.
	const limit = 50 * time.Second
	seed := seedWithEvery(t, faults, limit, safeSchedule)
	for _, tc := range []struct {
		name string
		spec harness.RunSpec
	}{
		{"zk-3.9.2", spec(safe, faults, limit, safeSchedule, seed)},
		{"kraft-" + newestKafka, kraftSpec(newestKafka, safe, faults, limit, safeSchedule, seed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Workload.Client = workloads.ClientFranz
			res := harness.Run(t, s)
			if slices.Contains(res.Result.Allowed, checker.Duplicate) {
				t.Errorf("duplicate is allowed for franz-go's idempotent producer: %v", res.Result.Allowed)
			}
			nothingLost(t, res, faults[0])
			assertFaultsTookEffect(t, res, faults)
			if n := count(res, checker.Duplicate); n != 0 {
				t.Errorf("%d duplicates from an idempotent producer", n)
			}
		})
	}
}
