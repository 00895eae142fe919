package checker

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/history"
)

// checkSendOrder flags a process whose acknowledged offsets for a key do
// not increase: a later send was placed at or before an earlier one. Unless ordered, the send
// is only recorded as the process's latest (a transaction's later send to the key: the caller
// judges its order).
func (k *keyState) checkSendOrder(process int, r *valueRecord, op int64, ordered bool) {
	p := k.proc(process)
	if ordered && p.hasAck && r.ack <= p.lastAck {
		k.found = append(k.found, Anomaly{Type: NonmonotonicSend, Key: k.name,
			Ops: []int64{p.lastAckOp, op}, Process: intp(process),
			Offsets: []int64{p.lastAck, r.ack}, Values: []string{k.c.str(r)},
			Explanation: fmt.Sprintf("process %d's send acknowledged at offset %d (op %d) after its earlier send at offset %d (op %d)",
				process, r.ack, op, p.lastAck, p.lastAckOp),
		})
	}
	p.hasAck, p.lastAck, p.lastAckOp = true, r.ack, op
}

// checkPollOrder compares a poll's reads with each other and, when betweenPolls, with the same
// process's previous poll of the key (histories whose polls do not say where they asked to
// start). Going backwards is nonmonotonic-poll; jumping forward leaves a gap that skip.go judges
// once all offsets are known. A fed poll's reads are not compared with each other (the caller
// judges a transaction's own order), only its first with the previous poll.
func (k *keyState) checkPollOrder(ev pollEvent, reads []history.ReadView, betweenPolls bool) {
	p := k.proc(ev.process)
	prev, prevOp, has := p.lastPoll, p.lastPollOp, p.hasPoll && betweenPolls
	for i, rd := range reads {
		if has && (i == 0 || !ev.fed) {
			switch {
			case rd.Offset <= prev:
				k.found = append(k.found, Anomaly{Type: NonmonotonicPoll, Key: k.name,
					Ops: []int64{prevOp, ev.op}, Process: intp(ev.process),
					Offsets: []int64{prev, rd.Offset}, Values: []string{string(rd.Value)},
					Explanation: fmt.Sprintf("process %d read offset %d (op %d) after reading offset %d (op %d)",
						ev.process, rd.Offset, ev.op, prev, prevOp),
				})
			case rd.Offset > prev+1:
				k.gaps = append(k.gaps, gap{process: ev.process, from: prev, to: rd.Offset, ops: [2]int64{prevOp, ev.op}})
			}
		}
		prev, prevOp, has = rd.Offset, ev.op, true
	}
	p.lastPoll, p.lastPollOp, p.hasPoll = prev, prevOp, !ev.mayRewind
}
