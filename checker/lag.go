package checker

import (
	"cmp"
	"slices"
	"sort"
)

// lagState is what realtime lag needs of one key's polls, kept per visible end rather than per
// poll so that memory grows with the log, not with the polls: a poll's lag depends only on its
// invocation time and its visible end, and of the polls with one visible end the latest-invoked
// lags most.
type lagState struct {
	polls   int64 // ok polls measured
	fromHW  bool  // some poll's visible end was the high watermark it returned
	firstOp int64 // the first poll's invocation
	// ends maps a visible end to its latest-invoked poll.
	ends offsetTable[lagCell]
}

// lagCell is, for one visible end, the latest invocation time of a poll that showed the log up to
// it, and the first poll (in the order measured) invoked then: seq is its 1-based rank among the
// key's polls (0: no poll), op its invocation.
type lagCell struct {
	invokeTime, seq, op int64
}

func newLagState() lagState { return lagState{firstOp: -1} }

// add measures an ok poll, invoked at invokeTime by op, that showed the log up to (not
// including) end.
func (l *lagState) add(end int64, fromHW bool, invokeTime, op int64) {
	l.polls++
	if l.polls == 1 {
		l.firstOp = op
	}
	l.fromHW = l.fromHW || fromHW
	if c := l.ends.at(end, true); c.seq == 0 || invokeTime > c.invokeTime {
		*c = lagCell{invokeTime: invokeTime, seq: l.polls, op: op}
	}
}

// measureLag computes each key's worst realtime lag, as Jepsen does: for a poll that began at
// time t and showed the log up to (not including) offset end, the lag is how long before t the
// first send at offset end or later had been acknowledged (zero when none had). A poll that shows
// less than was acknowledged is not a violation of anything Kafka promises (a new leader's high
// watermark catches up after an election); it is measured. The final drain is left out: it
// reads a settled log, and its high watermark is judged by durability instead. The poll named
// is the first measured with the worst lag.
func measureLag(keys []*keyState) []PartitionLag {
	var out []PartitionLag
	for _, k := range keys {
		if k.lag.polls == 0 {
			continue
		}
		// acks sorted by offset, with the earliest acknowledgement at that offset or above.
		type ack struct{ offset, at int64 }
		acks := make([]ack, 0, len(k.ids))
		for r := range k.records() {
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
		pl := PartitionLag{Key: k.name, Op: k.lag.firstOp, Polls: k.lag.polls, Source: "reads"}
		if k.lag.fromHW {
			pl.Source = "hw"
		}
		// Lags are clamped at zero: with none above it, the first poll measured is the worst.
		var worst, seq int64
		for end, c := range k.lag.ends.all {
			if c.seq == 0 {
				continue
			}
			i := sort.Search(len(acks), func(i int) bool { return acks[i].offset >= end })
			if i == len(acks) || acks[i].at >= c.invokeTime {
				continue
			}
			if lag := c.invokeTime - acks[i].at; lag > worst || lag == worst && c.seq < seq {
				worst, seq, pl.Op = lag, c.seq, c.op
			}
		}
		pl.WorstSeconds = float64(worst) / 1e9
		out = append(out, pl)
	}
	return out
}
