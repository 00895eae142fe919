package scenarios

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// lastReplicaSchedule lets writes run 8 s, then one power-loss-last-replica (about 15 s to strand
// the followers and cut the leader), held 8 s.
var lastReplicaSchedule = nemesis.ScheduleOptions{HoldMin: 8 * time.Second, HoldMax: 8 * time.Second,
	RestMin: time.Minute, RestMax: time.Minute, Warmup: 8 * time.Second}

// KIP-966's "last replica standing" (docs/track-record.md), safe configuration, default flush:
// a partition's ISR shrinks to its leader, which then loses power and its un-fsynced log. On
// 3.9.2 (ZooKeeper) the leader, the only ISR member, is elected again from its truncated log when
// it returns and the followers truncate to it: the partition's acknowledged writes are lost. On
// 4.4.0 (KRaft, eligible leader replicas on) the followers dropped from the ISR below
// min.insync.replicas are in the ELR, one of them is elected while the leader is down, and
// nothing is lost.
func TestPowerLossLastReplicaKIP966(t *testing.T) {
	faults := []string{"power-loss-last-replica"}
	t.Run("zk-3.9.2", func(t *testing.T) {
		res := harness.Run(t, spec(safe, faults, 30*time.Second, lastReplicaSchedule, 1))
		assertFaultsTookEffect(t, res, faults)
		lossCaught(t, res)
		f := res.Result.Faults[0]
		for _, a := range res.Result.Anomalies[checker.LostWrite] {
			if a.Key != f.Key {
				t.Errorf("a write to %s was lost; the fault aimed at %s", a.Key, f.Key)
				break
			}
		}
		if f.LostWritesBefore == nil || *f.LostWritesBefore == 0 {
			t.Errorf("no lost write is attributed to the power loss: %v", f.LostWritesBefore)
		}
	})
	t.Run("kraft-"+newestKafka, func(t *testing.T) {
		res := harness.Run(t, kraftSpec(newestKafka, safe, faults, 30*time.Second, lastReplicaSchedule, 1))
		cfg, err := rundir.LoadConfig(res.Dir)
		if err != nil || cfg == nil || !cfg.Elections.ELREnabled {
			t.Fatalf("ELR is not on in %s's config.json (%v): the scenario needs it on", newestKafka, err)
		}
		nothingLost(t, res, faults[0])
	})
}
