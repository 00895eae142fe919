package txn

import (
	"fmt"
	"strings"

	"github.com/kafkaesque/kafkaesque/checker"
)

// span is the stretch of a key one poll is known to have covered: from the offset it asked for
// (or its first record) to its last record, both included.
type span struct {
	lower, upper int64
	op           int64
}

func (c *Checker) spanOf(kr *keyReads) (span, bool) {
	reads := c.readsOf(kr)
	if len(reads) == 0 {
		return span{}, false
	}
	s := span{lower: reads[0].offset, upper: reads[0].offset}
	for _, rd := range reads {
		s.lower, s.upper = min(s.lower, rd.offset), max(s.upper, rd.offset)
	}
	if kr.from >= 0 {
		s.lower = min(s.lower, kr.from)
	}
	return s, true
}

// covers reports whether the span proves the poll would have returned a record at offset.
func (s span) covers(offset int64) bool { return s.lower <= offset && offset <= s.upper }

// tornTransactions finds transactions that committed (or whose outcome is unknown) seen in part:
// by one poll (torn.go's tornByPoll) or by the final drain (tornByDrain, whose missing sends it
// also returns). Kafka makes a transaction's sends visible together, when its commit markers are
// written.
func tornTransactions(a *analysis) ([]checker.Anomaly, map[vid]bool) {
	var out []checker.Anomaly
	for i := range a.polls {
		if p := &a.polls[i]; !p.drain {
			out = append(out, a.tornByPoll(p)...)
		}
	}
	drainTorn, missing := a.tornByDrain()
	return append(out, drainTorn...), missing
}

// visibleWriter reports whether transaction w's sends should all be visible once one is: it did
// not certainly fail to commit.
func (a *analysis) visibleWriter(w int32) bool { return w >= 0 && !a.uncommitted(w) }

// tornByPoll: p returned a send of transaction T, and on the key of another of T's sends
// returned records on both sides of (or at) its offset, but not it.
func (a *analysis) tornByPoll(p *poll) []checker.Anomaly {
	var out []checker.Anomaly
	var writers []int32
	for _, kr := range a.keysOf(p) {
		for _, rd := range a.readsOf(&kr) {
			if w := a.writer[rd.val]; w != p.reader && a.visibleWriter(w) && !containsInt32(writers, w) {
				writers = append(writers, w)
			}
		}
	}
	for _, w := range writers {
		var seen, missing []send
		for _, s := range a.sendsOf(&a.txns[w]) {
			kr := a.find(p, s.key)
			switch {
			case kr == nil:
			case a.has(kr, s.val):
				seen = append(seen, s)
			case s.offset >= 0:
				if sp, ok := a.spanOf(kr); ok && sp.covers(s.offset) {
					missing = append(missing, s)
				}
			}
		}
		if len(seen) > 0 && len(missing) > 0 {
			ops := append(a.ops(w), a.readerOps(p)...)
			out = append(out, a.tornAnomaly(w, ops, seen, missing, a.readerLabel(p)))
		}
	}
	return out
}

// tornByDrain: the final drain read some of T's sends, and a drain poll that covered the offset
// of another did not return it. A drain poll that says where it asked covers what the final
// log's completeness credits it with (checker.Checker.DrainSpans): up to where its process's
// next drain poll of the key asked, past commit markers and aborted records. It returns the
// sends found missing too.
func (a *analysis) tornByDrain() ([]checker.Anomaly, map[vid]bool) {
	drainOp := make(map[vid]int64)
	spans := make([][]span, len(a.keyNames))
	for k, name := range a.keyNames {
		for _, ds := range a.inner.DrainSpans(name) {
			spans[k] = append(spans[k], span{lower: ds.From, upper: ds.End - 1, op: ds.Op})
		}
	}
	for i := range a.polls {
		p := &a.polls[i]
		if !p.drain {
			continue
		}
		for _, kr := range a.keysOf(p) {
			for _, rd := range a.readsOf(&kr) {
				if _, ok := drainOp[rd.val]; !ok {
					drainOp[rd.val] = p.op
				}
			}
			if sp, ok := a.spanOf(&kr); ok && kr.from < 0 {
				sp.op = p.op
				spans[kr.key] = append(spans[kr.key], sp)
			}
		}
	}
	if len(drainOp) == 0 {
		return nil, nil
	}
	var out []checker.Anomaly
	lacking := map[vid]bool{}
	for i := range a.txns {
		w := int32(i)
		if !a.visibleWriter(w) {
			continue
		}
		var seen, missing []send
		var ops []int64
		for _, s := range a.sendsOf(&a.txns[w]) {
			if op, ok := drainOp[s.val]; ok {
				seen = append(seen, s)
				ops = appendNew(ops, op)
				continue
			}
			for _, sp := range spans[s.key] {
				if s.offset >= 0 && sp.covers(s.offset) {
					missing = append(missing, s)
					ops = appendNew(ops, sp.op)
					break
				}
			}
		}
		if len(seen) > 0 && len(missing) > 0 {
			out = append(out, a.tornAnomaly(w, append(a.ops(w), ops...), seen, missing, "the final drain"))
			for _, s := range missing {
				lacking[s.val] = true
			}
		}
	}
	return out, lacking
}

func (a *analysis) tornAnomaly(w int32, ops []int64, seen, missing []send, by string) checker.Anomaly {
	describe := func(list []send) (string, []string) {
		parts, values := make([]string, len(list)), make([]string, len(list))
		for i, s := range list {
			values[i] = a.values[s.val]
			parts[i] = fmt.Sprintf("%q (%s offset %d)", values[i], a.keyNames[s.key], s.offset)
			if s.offset < 0 {
				parts[i] = fmt.Sprintf("%q (%s)", values[i], a.keyNames[s.key])
			}
		}
		return strings.Join(parts, ", "), values
	}
	saw, _ := describe(seen)
	lacked, values := describe(missing)
	an := checker.Anomaly{Type: checker.TornTransaction, Key: a.keyNames[missing[0].key], Ops: ops,
		Offsets: []int64{missing[0].offset}, Values: values,
		Explanation: fmt.Sprintf("%s saw %s but not %s, though it read past that offset; %s sent them all",
			by, saw, lacked, a.label(w))}
	proc := int(a.txns[w].process)
	an.Process = &proc
	return an
}

// find is p's reads of key k, nil if it has none.
func (c *Checker) find(p *poll, k kid) *keyReads {
	keys := c.keysOf(p)
	for i := range keys {
		if keys[i].key == k {
			return &keys[i]
		}
	}
	return nil
}

func (c *Checker) has(kr *keyReads, v vid) bool {
	for _, rd := range c.readsOf(kr) {
		if rd.val == v {
			return true
		}
	}
	return false
}

func containsInt32(list []int32, v int32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func appendNew(list []int64, v int64) []int64 {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
