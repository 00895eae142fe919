package txn

import "github.com/kafkaesque/kafkaesque/checker"

// The txn workload's consumer isolation levels (harness.ReadCommitted, harness.ReadUncommitted).
const (
	ReadCommitted   = "read-committed"
	ReadUncommitted = "read-uncommitted"
)

// Allowed returns the transactional anomaly types Kafka's design allows at a consumer isolation
// level, each with the reason; any other level is judged as read-committed, the stricter.
//
// torn-transaction is never allowed, not even for a read-uncommitted poll: it is reported only
// when a poll returned records on both sides of a send's offset but not the send, and a consumer
// at either level is handed every record it may see in offset order (read-uncommitted: every
// record below the high watermark), so a gap in the middle is no isolation effect.
func Allowed(isolation string) map[checker.AnomalyType]string {
	allowed := map[checker.AnomalyType]string{
		checker.IntSendSkip: "Kafka interleaves transactions' writes: another transaction's send can land between two sends of one transaction to a partition (Jepsen allows it)",
	}
	for _, t := range []checker.AnomalyType{checker.G0, checker.G0Process, checker.G0Realtime} {
		allowed[t] = "Kafka does not isolate writes: a send takes its offset when it is sent, not when its transaction commits, so two transactions sending to the same partitions in different orders form a write cycle (Jepsen allows G0)"
	}
	if isolation != ReadUncommitted {
		return allowed
	}
	allowed[checker.AbortedRead] = "a read-uncommitted consumer reads aborted records by design"
	allowed[checker.PrecommittedRead] = "a read-uncommitted consumer reads records before their transaction commits by design"
	for _, t := range []checker.AnomalyType{checker.G1c, checker.G1cProcess, checker.G1cRealtime} {
		allowed[t] = "a read-uncommitted consumer reads uncommitted records, so a transaction can depend on one that commits after it (or never)"
	}
	return allowed
}
