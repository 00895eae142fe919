package checker

import (
	"cmp"
	"fmt"
	"slices"
	"sort"

	"github.com/kafkaesque/kafkaesque/history"
)

// drainState is what the final drain's polls (marked "drain": true) showed of one key: the
// final log is what they read between from and the final high watermark.
type drainState struct {
	polls  int   // drain polls invoked for the key
	from   int64 // lowest offset a drain poll asked for; -1 if none said
	hw     int64 // highest high watermark a drain poll returned; -1 if none
	hwOp   int64 // the poll that returned it
	lastOp int64 // the last ok drain poll
	// endSeen is the highest high watermark a drain poll returned when it asked at or past it:
	// the end of the log seen rather than assumed (a new leader's watermark can lag a moment).
	endSeen int64
	// spans are the ranges [from, end) the ok drain polls covered: asked from, read to end;
	// spanOps are their polls.
	spans   [][2]int64
	spanOps []int64
	// next is, per span, the offset the same process's next drain poll of the key asked for, at
	// or past the span's end (-1: none): where its consumer's position went. In a transactional
	// log the position moves past commit markers and aborted records, which no poll returns.
	next     []int64
	lastSpan map[int]int // process -> its latest span
	// fell is the first drop of the high watermark during the drain ([before, after]): the
	// log shrank, or a lagging leader answered, so what was read before is not the final log.
	fell []int64
}

func newDrainState() drainState {
	return drainState{from: -1, hw: -1, hwOp: -1, lastOp: -1, endSeen: -1}
}

// complete reports whether the drain covered every offset from where it began up to its final
// high watermark, saw that this was the end, and never saw the watermark fall. With positions (a
// transactional history), a poll covers up to where the same process's next poll asked.
func (d drainState) complete(positions bool) bool {
	if d.hw < 0 || d.endSeen != d.hw || d.fell != nil {
		return false
	}
	spans := d.covered(positions)
	slices.SortFunc(spans, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	covered := d.from
	for _, s := range spans {
		if s[0] > covered {
			return false // a stretch no drain poll asked for
		}
		covered = max(covered, s[1])
	}
	return covered >= d.hw
}

// covered is what each ok drain poll covered, in the order of d.spans: [from, end), and with
// positions up to where the same process's next poll asked.
func (d drainState) covered(positions bool) [][2]int64 {
	spans := slices.Clone(d.spans)
	for i, n := range d.next {
		if positions && n >= 0 {
			spans[i][1] = max(spans[i][1], n)
		}
	}
	return spans
}

// describe says how far an incomplete drain got, for the verdict's reason.
func (d drainState) describe(key string) string {
	switch {
	case d.polls == 0:
		return key + " (no drain poll)"
	case d.hw < 0:
		return key + " (no drain poll answered)"
	case d.fell != nil:
		return fmt.Sprintf("%s (its high watermark fell from %d to %d during the drain)", key, d.fell[0], d.fell[1])
	case d.endSeen != d.hw:
		furthest := d.from
		for _, s := range d.spans {
			furthest = max(furthest, s[1])
		}
		return fmt.Sprintf("%s (read to %d of %d, the end not confirmed)", key, furthest, d.hw)
	}
	return fmt.Sprintf("%s (offsets between %d and %d not covered)", key, d.from, d.hw)
}

// lagPoll is an ok poll's visible end, for realtime lag: the first offset it did not show.
type lagPoll struct {
	invokeTime int64
	end        int64
	op         int64
	fromHW     bool
}

func (c *Checker) invokePoll(op history.Op, pi history.PollInvoke) {
	if pi.Drain {
		c.drained = true
	}
	if len(pi.From) > 0 {
		c.pollsWithFrom++
	}
	if !pi.Drain {
		return
	}
	for _, name := range pi.Keys {
		k := c.key(name)
		k.drain.polls++
		if from, ok := pi.From[name]; ok && (k.drain.from < 0 || from < k.drain.from) {
			k.drain.from = from
		}
	}
}

func (c *Checker) completePoll(op history.Op, inv openOp) error {
	switch op.Type {
	case history.Fail:
		c.stats.PollsFail++
		return nil
	case history.Info:
		c.stats.PollsInfo++
		return nil
	}
	c.stats.PollsOK++
	pr, err := op.PollReads()
	if err != nil {
		return err
	}
	if len(pr.HW) > 0 {
		c.pollsWithHW++
	}
	ev := pollEvent{op: op.Index, invokeOp: inv.op, time: op.Time, invokeTime: inv.time, process: op.Process,
		drain: inv.poll.Drain}
	c.pollKeys(ev, inv.poll.Keys, pr.Reads, inv.poll.From, pr.HW)
	return nil
}

// pollEvent is an ok poll: a poll line's completion and invocation, or a fed Poll.
type pollEvent struct {
	op, invokeOp     int64
	time, invokeTime int64
	process          int
	drain            bool
	// fed: a transaction's reads (ObservePoll): only each key's first read is compared with the
	// process's earlier polls, and the poll is not kept for the linearizability check.
	fed bool
	// mayRewind: the process's next poll is not compared with this one (see Poll.MayRewind).
	mayRewind bool
}

// pollKeys records an ok poll's reads of every key it asked for (keys) or answered, in a
// deterministic order; from and hw are the offsets asked for and the high watermarks returned.
func (c *Checker) pollKeys(ev pollEvent, keys []string, reads map[string][]history.Read, from, hw map[string]int64) {
	names := append([]string(nil), keys...)
	for name := range reads {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		f, hasFrom := from[name]
		if !hasFrom {
			f = -1
		}
		h, hasHW := hw[name]
		if !hasHW {
			h = -1
		}
		c.key(name).poll(ev, reads[name], f, h)
	}
}

// poll records an ok poll's reads of this key. from is the offset asked for and hw the high
// watermark returned, each -1 when the history does not say.
func (k *keyState) poll(ev pollEvent, reads []history.Read, from, hw int64) {
	if ev.drain {
		k.drainPoll(ev.op, ev.process, reads, from, hw)
	} else if lp, ok := visibleEnd(reads, from, hw); ok {
		lp.invokeTime, lp.op = ev.invokeTime, ev.invokeOp
		k.lag = append(k.lag, lp)
	}
	if from >= 0 {
		// Kafka is judged against what was asked: a consumer's own seeks between polls, or
		// its restart under a new process, are not Kafka's doing.
		k.checkFrom(ev, reads, from)
	}
	if len(reads) == 0 {
		return
	}
	last := reads[0].Offset
	var lastRec *valueRecord
	for _, rd := range reads {
		r := k.value(rd.Value)
		if r.firstRead < 0 {
			r.firstRead = ev.op
		}
		k.observe(r, rd.Offset, ev.op)
		if rd.Offset >= last {
			last, lastRec = rd.Offset, r
		}
	}
	if last > k.maxRead {
		k.maxRead, k.maxReadOp = last, ev.op
	}
	k.checkPollOrder(ev, reads, from < 0)
	// A poll whose highest record was acknowledged before the poll returned
	// cannot constrain a linearization, so it need not be kept.
	if ev.fed || lastRec.status == sentOK && lastRec.ack == last && lastRec.returnTime <= ev.time {
		return
	}
	k.polls = append(k.polls, pollRecord{op: ev.op, process: ev.process, returnTime: ev.time, last: last, lastRec: lastRec})
}

// drainPoll records what one of the final drain's polls read: the final log.
func (k *keyState) drainPoll(op int64, process int, reads []history.Read, from, hw int64) {
	d := &k.drain
	d.lastOp = op
	if hw >= 0 && hw < d.hw && d.fell == nil {
		d.fell = []int64{d.hw, hw}
	}
	if hw > d.hw {
		d.hw, d.hwOp = hw, op
	}
	if from >= 0 && hw >= 0 && from >= hw {
		d.endSeen = max(d.endSeen, hw)
	}
	end := from
	if n := len(reads); n > 0 {
		end = max(end, reads[n-1].Offset+1)
	}
	if from >= 0 {
		if i, ok := d.lastSpan[process]; ok && from >= d.spans[i][1] {
			d.next[i] = from
		}
		if d.lastSpan == nil {
			d.lastSpan = map[int]int{}
		}
		d.lastSpan[process] = len(d.spans)
		d.spans = append(d.spans, [2]int64{from, end})
		d.spanOps = append(d.spanOps, op)
		d.next = append(d.next, -1)
	}
	for _, rd := range reads {
		r := k.value(rd.Value)
		if r.drainOp < 0 {
			r.drainOffset, r.drainOp = rd.Offset, op
		}
	}
}

// visibleEnd is the first offset a poll did not show: the high watermark it returned (or past
// the last record it read, should a record sit at or above that watermark), else (as Jepsen
// measures) the offset after the last record it read, else the offset it asked for.
func visibleEnd(reads []history.Read, from, hw int64) (lagPoll, bool) {
	switch {
	case hw >= 0:
		if n := len(reads); n > 0 {
			hw = max(hw, reads[n-1].Offset+1)
		}
		return lagPoll{end: hw, fromHW: true}, true
	case len(reads) > 0:
		return lagPoll{end: reads[len(reads)-1].Offset + 1}, true
	case from >= 0:
		return lagPoll{end: from}, true
	}
	return lagPoll{}, false
}

// checkFrom compares a poll's first record with the offset it asked for: a record before it is
// nonmonotonic-poll, a jump past it leaves a gap that skip.go judges once all offsets are known.
func (k *keyState) checkFrom(ev pollEvent, reads []history.Read, from int64) {
	if len(reads) == 0 {
		return
	}
	first := reads[0]
	switch {
	case first.Offset < from:
		k.found = append(k.found, Anomaly{Type: NonmonotonicPoll, Key: k.name,
			Ops: []int64{ev.op}, Process: intp(ev.process),
			Offsets: []int64{from, first.Offset}, Values: []string{first.Value},
			Explanation: fmt.Sprintf("op %d asked for offset %d and was given offset %d, before it",
				ev.op, from, first.Offset),
		})
	case first.Offset > from:
		k.gaps = append(k.gaps, gap{process: ev.process, from: from - 1, to: first.Offset,
			ops: [2]int64{ev.op, ev.op}, asked: true})
	}
}
