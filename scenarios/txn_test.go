package scenarios

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
)

// Ground truth for transactions: in the safe configuration the txn workload (read-committed,
// aborts on purpose) is valid through a partition leader's and a transaction coordinator's
// deaths, on 3.9.2 with ZooKeeper and on the newest 4.x in KRaft (transaction version 2):
// committed transactions' sends are in the final log, aborted ones are never read, and only
// what Kafka's design allows (G0, int-send-skip) occurs.
func TestTxnSafeConfigurationIsValid(t *testing.T) {
	faults := []string{"kill-leader", "kill-txn-coordinator"}
	seed := seedWithEvery(t, faults, 35*time.Second, safeSchedule)
	for _, tc := range []struct {
		name string
		spec harness.RunSpec
	}{
		{"zk-3.9.2", spec(safe, faults, 35*time.Second, safeSchedule, seed)},
		{"kraft-" + newestKafka, kraftSpec(newestKafka, safe, faults, 35*time.Second, safeSchedule, seed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Workload.Name, s.Workload.Consumers = harness.WorkloadTxn, 0
			res := harness.Run(t, s)
			assertFaultsTookEffect(t, res, faults)
			r := res.Result
			if r.Txn == nil || r.Txn.Committed < 100 || r.Txn.Aborted == 0 {
				t.Errorf("transactions %+v: want at least 100 committed and some aborted", r.Txn)
			}
			if n := count(res, checker.LostWrite, checker.Unseen, checker.AbortedRead, checker.Duplicate, checker.G1c, checker.TornTransaction); n != 0 {
				t.Errorf("%d lost, unseen, aborted-read, duplicate, G1c or torn anomalies in the safe configuration", n)
			}
			if r.Valid != checker.Valid {
				t.Errorf("verdict %s, want valid; anomalies: %v", r.Valid, anomalyCounts(r))
			}
			t.Logf("transactions %+v; allowed %v; run dir %s", *r.Txn, r.Allowed, res.Dir)
		})
	}
}
