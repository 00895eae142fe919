package checker

import (
	"cmp"
	"slices"
	"sort"
)

// measureLag computes each key's worst realtime lag, as Jepsen does: for a poll that began at
// time t and showed the log up to (not including) offset end, the lag is how long before t the
// first send at offset end or later had been acknowledged (zero when none had). A poll that shows
// less than was acknowledged is not a violation of anything Kafka promises (a new leader's high
// watermark catches up after an election); it is measured. The final drain is left out: it
// reads a settled log, and its high watermark is judged by durability instead.
func measureLag(keys []*keyState) []PartitionLag {
	var out []PartitionLag
	for _, k := range keys {
		if len(k.lag) == 0 {
			continue
		}
		// acks sorted by offset, with the earliest acknowledgement at that offset or above.
		type ack struct{ offset, at int64 }
		var acks []ack
		for _, r := range k.values {
			if r.status == sentOK {
				acks = append(acks, ack{r.ack, r.returnTime})
			}
		}
		slices.SortFunc(acks, func(a, b ack) int {
			if a.offset != b.offset {
				return cmp.Compare(a.offset, b.offset)
			}
			return cmp.Compare(a.at, b.at)
		})
		for i := len(acks) - 2; i >= 0; i-- {
			acks[i].at = min(acks[i].at, acks[i+1].at)
		}
		pl := PartitionLag{Key: k.name, Op: -1, Source: "reads"}
		var worst int64 = -1
		for _, p := range k.lag {
			pl.Polls++
			if p.fromHW {
				pl.Source = "hw"
			}
			i := sort.Search(len(acks), func(i int) bool { return acks[i].offset >= p.end })
			lag := int64(0)
			if i < len(acks) && acks[i].at < p.invokeTime {
				lag = p.invokeTime - acks[i].at
			}
			if lag > worst {
				worst, pl.Op = lag, p.op
			}
		}
		pl.WorstSeconds = float64(worst) / 1e9
		out = append(out, pl)
	}
	return out
}
