package txn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
)

// unackedLostWrites finds the lost writes of transactions committed without an acknowledgement:
// ones that ended info (or never completed) having asked to commit, a send of which another's
// poll read (analyse's committed). feed hands their sends to the queue checker as info, held to
// nothing; here each of their sends with an offset is held to the final log as an acknowledged
// send is (checker.Checker.FinalLogLoss), the read that proves the commit named. A send the
// final drain's torn-transaction already reports missing (drainTorn) is left to it. incomplete
// says what the final log could not judge.
func unackedLostWrites(a *analysis, drainTorn map[vid]bool) (out []checker.Anomaly, incomplete []string) {
	evidence := make(map[int32]*poll) // the first poll of another that read a send of the transaction
	proven := make(map[int32]vid)     // the send it read
	a.eachRead(func(p *poll, _ kid, rd read) {
		w := a.writer[rd.val]
		if w < 0 || w == p.reader || !a.committed[w] || a.txns[w].typ == outOK {
			return
		}
		if _, ok := evidence[w]; !ok {
			evidence[w], proven[w] = p, rd.val
		}
	})
	unjudged := 0
	var keys []string
	for w := range a.txns {
		w := int32(w)
		p, ok := evidence[w]
		if !ok {
			continue
		}
		for _, s := range a.sendsOf(&a.txns[w]) {
			if s.offset < 0 || drainTorn[s.val] {
				continue
			}
			key, value := a.keyNames[s.key], a.values[s.val]
			loss := a.inner.FinalLogLoss(key, value, s.offset)
			if loss.Unjudged {
				unjudged++
				if !slices.Contains(keys, key) {
					keys = append(keys, key)
				}
			}
			if !loss.Lost {
				continue
			}
			proc := int(a.txns[w].process)
			out = append(out, checker.Anomaly{Type: checker.LostWrite, Key: key,
				Ops:     append(append(a.ops(w), a.readerOps(p)...), loss.Proof),
				Process: &proc, Offsets: []int64{s.offset}, Values: []string{value},
				Explanation: fmt.Sprintf("%s asked to commit and %s read its %q, so it committed; its send of %q was at offset %d, but %s",
					a.label(w), a.readerLabel(p), a.values[proven[w]], value, s.offset, loss.Why),
			})
		}
	}
	if unjudged > 0 {
		slices.Sort(keys)
		incomplete = append(incomplete, fmt.Sprintf("%d sends of indeterminate transactions that polls show committed are neither confirmed in the final log nor proven lost (the final drain of %s did not complete, or began above them)",
			unjudged, strings.Join(keys, ", ")))
	}
	return out, incomplete
}
