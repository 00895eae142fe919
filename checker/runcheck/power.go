package runcheck

import (
	"slices"

	"github.com/kafkaesque/kafkaesque/checker"
)

// AttributeLostWrites sets each power fault's LostWritesBefore: the lost writes acknowledged
// before its injection was done (the nodes were cut and their data dropped by then) and not
// before the previous power fault's, the writes whose loss its dropped data may explain. A
// write's acknowledgement is its anomaly's second op (the send's, or the transaction's,
// completion); history indexes follow time, so comparing them with the injections' ops needs
// no clock. A lost write acknowledged after the last power fault counts for none. A power fault that failed before it
// dropped anything counts none.
func AttributeLostWrites(faults []checker.FaultImpact, lost []checker.Anomaly) {
	var power []int // indexes into faults, in invocation order
	for i, f := range faults {
		if f.PowerLoss && (f.Error == "" || len(f.DataLost) > 0) { // one that failed before cutting lost nothing
			power = append(power, i)
		}
	}
	slices.SortFunc(power, func(a, b int) int { return int(faults[a].InjectedOp - faults[b].InjectedOp) })
	counts := make([]int, len(power))
	for _, a := range lost {
		if len(a.Ops) < 2 {
			continue
		}
		ack := a.Ops[1]
		// The first power fault done after the acknowledgement.
		j, _ := slices.BinarySearchFunc(power, ack, func(i int, ack int64) int {
			if faults[i].InjectedOp <= ack {
				return -1
			}
			return 1
		})
		if j < len(power) {
			counts[j]++
		}
	}
	for j, i := range power {
		faults[i].LostWritesBefore = &counts[j]
	}
}
