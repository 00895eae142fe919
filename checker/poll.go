package checker

import (
	"cmp"
	"fmt"
	"slices"

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

// invokePoll records a poll's invocation: its keys and where it asked (into o), and the final
// drain's marker.
func (c *Checker) invokePoll(o *openOp, pi *history.PollInvokeView) {
	o.drain = pi.Drain
	if pi.Drain {
		c.drained = true
	}
	if len(pi.From) > 0 {
		c.pollsWithFrom++
	}
	for _, name := range pi.Keys {
		o.keys = append(o.keys, pollKey{name: c.intern(name), from: fromOf(pi.From, name), listed: true})
	}
	for _, f := range pi.From {
		if !slices.ContainsFunc(pi.Keys, func(k []byte) bool { return string(k) == string(f.Key) }) {
			o.keys = append(o.keys, pollKey{name: c.intern(f.Key), from: f.Offset})
		}
	}
	if !pi.Drain {
		return
	}
	for _, pk := range o.keys {
		if !pk.listed {
			continue
		}
		k := c.key(pk.name)
		k.drain.polls++
		if pk.from >= 0 && (k.drain.from < 0 || pk.from < k.drain.from) {
			k.drain.from = pk.from
		}
	}
}

// fromOf is the offset from names for key, or -1.
func fromOf(from []history.KeyOffset, key []byte) int64 {
	for _, f := range from {
		if string(f.Key) == string(key) {
			return f.Offset
		}
	}
	return -1
}

func (c *Checker) completePoll(op history.Op, inv *openOp) error {
	switch op.Type {
	case history.Fail:
		c.stats.PollsFail++
		return nil
	case history.Info:
		c.stats.PollsInfo++
		return nil
	}
	c.stats.PollsOK++
	pr := &c.resultView
	if err := history.ParsePollResult(op.Value, pr); err != nil {
		return err
	}
	if len(pr.HW) > 0 {
		c.pollsWithHW++
	}
	ev := pollEvent{op: op.Index, invokeOp: inv.op, time: op.Time, invokeTime: inv.time, process: op.Process,
		drain: inv.drain}
	c.pollKeys(ev, inv.keys, pr.Reads, pr.HW)
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

// pollTarget is one key an ok poll asked for or answered, with where it asked (from), the high
// watermark it returned (hw), each -1 when not said, and its records of the key.
type pollTarget struct {
	name     string
	from, hw int64
	reads    []history.ReadView
}

// pollKeys records an ok poll's reads of every key it asked for (keys, with the offsets asked
// for) or answered (reads), each once; hw are the high watermarks returned.
func (c *Checker) pollKeys(ev pollEvent, keys []pollKey, reads []history.KeyReads, hw []history.KeyOffset) {
	targets := c.pollTargets[:0]
	find := func(name string) int {
		for i := range targets {
			if targets[i].name == name {
				return i
			}
		}
		return -1
	}
	for _, pk := range keys {
		if pk.listed && find(pk.name) < 0 {
			targets = append(targets, pollTarget{name: pk.name, from: pk.from, hw: -1})
		}
	}
	for _, kr := range reads {
		name := c.intern(kr.Key)
		i := find(name)
		if i < 0 {
			from := int64(-1)
			for _, pk := range keys {
				if pk.name == name {
					from = pk.from
				}
			}
			i = len(targets)
			targets = append(targets, pollTarget{name: name, from: from, hw: -1})
		}
		targets[i].reads = kr.Reads
	}
	for _, h := range hw {
		if i := find(c.intern(h.Key)); i >= 0 {
			targets[i].hw = h.Offset
		}
	}
	for _, t := range targets {
		c.key(t.name).poll(ev, t.reads, t.from, t.hw)
	}
	clear(targets) // keeps nothing of the value the reads alias
	c.pollTargets = targets[:0]
}

// poll records an ok poll's reads of this key. from is the offset asked for and hw the high
// watermark returned, each -1 when the history does not say.
func (k *keyState) poll(ev pollEvent, reads []history.ReadView, from, hw int64) {
	if ev.drain {
		k.drainPoll(ev.op, ev.process, reads, from, hw)
	} else if end, fromHW, ok := visibleEnd(reads, from, hw); ok {
		k.lag.add(end, fromHW, ev.invokeTime, ev.invokeOp)
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
		r := k.readValue(rd)
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
	// Of the polls whose highest record is the same value at the same offset, the model needs
	// only the one that returned first: each needs the same sends appended, and a later return
	// is a weaker constraint (linearize.Prepare). Memory then grows with offsets, not polls.
	if i := lastRec.linPoll; i > 0 && k.polls[i-1].last == last {
		if p := &k.polls[i-1]; ev.time < p.returnTime {
			*p = pollRecord{op: ev.op, process: ev.process, returnTime: ev.time, last: last, lastRec: lastRec.id}
		}
		return
	}
	k.polls = append(k.polls, pollRecord{op: ev.op, process: ev.process, returnTime: ev.time, last: last, lastRec: lastRec.id})
	lastRec.linPoll = int32(len(k.polls))
}

// drainPoll records what one of the final drain's polls read: the final log.
func (k *keyState) drainPoll(op int64, process int, reads []history.ReadView, from, hw int64) {
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
		r := k.readValue(rd)
		if r.drainOp < 0 {
			r.drainOffset, r.drainOp = rd.Offset, op
		}
	}
}

// visibleEnd is the first offset a poll did not show: the high watermark it returned (or past
// the last record it read, should a record sit at or above that watermark), else (as Jepsen
// measures) the offset after the last record it read, else the offset it asked for.
func visibleEnd(reads []history.ReadView, from, hw int64) (end int64, fromHW, ok bool) {
	switch {
	case hw >= 0:
		if n := len(reads); n > 0 {
			hw = max(hw, reads[n-1].Offset+1)
		}
		return hw, true, true
	case len(reads) > 0:
		return reads[len(reads)-1].Offset + 1, false, true
	case from >= 0:
		return from, false, true
	}
	return 0, false, false
}

// checkFrom compares a poll's first record with the offset it asked for: a record before it is
// nonmonotonic-poll, a jump past it leaves a gap that skip.go judges once all offsets are known.
func (k *keyState) checkFrom(ev pollEvent, reads []history.ReadView, from int64) {
	if len(reads) == 0 {
		return
	}
	first := reads[0]
	switch {
	case first.Offset < from:
		k.found = append(k.found, Anomaly{Type: NonmonotonicPoll, Key: k.name,
			Ops: []int64{ev.op}, Process: intp(ev.process),
			Offsets: []int64{from, first.Offset}, Values: []string{string(first.Value)},
			Explanation: fmt.Sprintf("op %d asked for offset %d and was given offset %d, before it",
				ev.op, from, first.Offset),
		})
	case first.Offset > from:
		k.gaps = append(k.gaps, gap{process: ev.process, from: from - 1, to: first.Offset,
			ops: [2]int64{ev.op, ev.op}, asked: true})
	}
}
