package txn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
)

// maxNamed bounds the skipped values an explanation lists.
const maxNamed = 3

// intPolls finds, within one transaction, consecutive reads of a key (across its polls, in
// order) that skip a committed value of the key's version order (int-poll-skip) or go back to
// or before the previous one (int-nonmonotonic-poll). A value outside the version order (an
// aborted one) is taken to follow its predecessor, as Jepsen does.
func intPolls(a *analysis) []checker.Anomaly {
	var out []checker.Anomaly
	type last struct {
		key    kid
		val    vid
		offset int64
		idx    int32
	}
	var lasts []last
	for i := range a.txns {
		t := &a.txns[i]
		lasts = lasts[:0]
		for _, p := range a.pollsOf(t) {
			for _, kr := range a.keysOf(&p) {
				j := slices.IndexFunc(lasts, func(l last) bool { return l.key == kr.key })
				for _, rd := range a.readsOf(&kr) {
					idx := a.index(kr.key, rd.val)
					if j >= 0 {
						if an, ok := a.intStep(int32(i), kr.key, lasts[j].val, lasts[j].offset, lasts[j].idx, rd, idx, "read"); ok {
							out = append(out, an)
						}
					} else {
						lasts, j = append(lasts, last{}), len(lasts)
					}
					lasts[j] = last{kr.key, rd.val, rd.offset, idx}
				}
			}
		}
	}
	return out
}

// intStep judges one step, from v1 (at offset o1, index i1 in k's version order) to rd, of
// transaction t's reads or sends (verb) of key k.
func (a *analysis) intStep(t int32, k kid, v1 vid, o1 int64, i1 int32, rd read, i2 int32, verb string) (checker.Anomaly, bool) {
	delta := int32(1)
	if i1 >= 0 && i2 >= 0 {
		delta = i2 - i1
	}
	if delta == 1 {
		return checker.Anomaly{}, false
	}
	skip, back := checker.IntPollSkip, checker.IntNonmonotonicPoll
	if verb == "sent" {
		skip, back = checker.IntSendSkip, checker.IntNonmonotonicSend
	}
	an := checker.Anomaly{Key: a.keyNames[k], Ops: a.ops(t), Offsets: []int64{o1, rd.offset},
		Values: []string{a.values[v1], a.values[rd.val]}}
	proc := int(a.txns[t].process)
	an.Process = &proc
	head := fmt.Sprintf("%s %s %q (offset %d) and then %q (offset %d) of %s", a.label(t), verb, a.values[v1], o1, a.values[rd.val], rd.offset, a.keyNames[k])
	if delta > 1 {
		an.Type = skip
		skipped := a.order[k][i1+1 : i2]
		var names []string
		for _, v := range skipped[:min(len(skipped), maxNamed)] {
			names = append(names, fmt.Sprintf("%q (offset %d)", a.values[v], a.at[v]))
		}
		if len(skipped) > maxNamed {
			names = append(names, fmt.Sprintf("%d more", len(skipped)-maxNamed))
		}
		an.Explanation = fmt.Sprintf("%s, skipping %d committed value(s) between them: %s", head, len(skipped), strings.Join(names, ", "))
		return an, true
	}
	an.Type = back
	an.Explanation = head + ", going back in the log"
	if delta == 0 {
		an.Explanation = head + ", the same record twice"
	}
	return an, true
}
