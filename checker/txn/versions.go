package txn

import (
	"cmp"
	"fmt"
	"slices"
)

// analysis is what the checks share, built once the whole history has been read.
type analysis struct {
	*Checker
	// committed marks the transactions known to have committed: ok ones, and indeterminate or
	// never completed ones (that asked to commit, as far as the history says) a poll of another
	// read a send of. These are the dependency graph's nodes.
	committed []bool
	// order is each key's version order: its committed values by offset, dense (Kafka's offsets
	// are not: commit markers and aborted records take offsets too). pos is a value's index in
	// the order of the key it was sent to or read from (-1: in none); at its offset.
	order [][]vid
	pos   []int32
	at    []int64
}

// uncommitted reports whether transaction w certainly did not commit: it failed, or its outcome
// is unknown but its client never asked to commit.
func (c *Checker) uncommitted(w int32) bool {
	t := &c.txns[w]
	return t.typ == outFail || t.typ == outInfo && t.commitAt < 0
}

// analyse builds the version orders. They come from the offsets committed transactions'
// sends were acknowledged at and from every read of a value not known to be uncommitted, as
// Jepsen's version orders do (a read-committed poll shows committed data whatever its own
// transaction's fate). Where two values claim one offset the first seen stands, and a value at
// two offsets stands at its lower: inconsistent-offsets and duplicate report those.
func (c *Checker) analyse() *analysis {
	a := &analysis{Checker: c, committed: make([]bool, len(c.txns)), order: make([][]vid, len(c.keyNames)),
		pos: make([]int32, len(c.values)), at: make([]int64, len(c.values))}
	for i := range c.txns {
		a.committed[i] = c.txns[i].typ == outOK
	}
	c.eachRead(func(p *poll, k kid, rd read) {
		if w := c.writer[rd.val]; w >= 0 && w != p.reader && !c.uncommitted(w) {
			a.committed[w] = true
		}
	})
	type entry struct {
		offset int64
		val    vid
	}
	entries := make([][]entry, len(c.keyNames))
	last := a.at // scratch: the last offset a value was added at, to skip repeated reads
	for i := range last {
		last[i] = -1
	}
	addEntry := func(k kid, off int64, v vid) {
		if last[v] != off {
			last[v] = off
			entries[k] = append(entries[k], entry{off, v})
		}
	}
	for i, t := range c.txns {
		if a.committed[i] {
			for _, s := range c.sendsOf(&t) {
				if s.offset >= 0 {
					addEntry(s.key, s.offset, s.val)
				}
			}
		}
	}
	c.eachRead(func(p *poll, k kid, rd read) {
		w := c.writer[rd.val]
		if (w < 0 || !c.uncommitted(w)) && (c.sentTo[rd.val] < 0 || c.sentTo[rd.val] == k) {
			addEntry(k, rd.offset, rd.val)
		}
	})
	for i := range a.pos {
		a.pos[i], a.at[i] = -1, -1
	}
	for k, list := range entries {
		slices.SortStableFunc(list, func(x, y entry) int { return cmp.Compare(x.offset, y.offset) })
		prev := int64(-1)
		for i, e := range list {
			if (i > 0 && e.offset == prev) || a.pos[e.val] >= 0 {
				continue
			}
			prev = e.offset
			a.pos[e.val], a.at[e.val] = int32(len(a.order[k])), e.offset
			a.order[k] = append(a.order[k], e.val)
		}
		entries[k] = nil
	}
	return a
}

// index is v's place in key k's version order, -1 if it has none there.
func (a *analysis) index(k kid, v vid) int32 {
	if i := a.pos[v]; i >= 0 && a.order[k] != nil && int(i) < len(a.order[k]) && a.order[k][i] == v {
		return i
	}
	return -1
}

// eachRead calls f for every record every poll returned.
func (c *Checker) eachRead(f func(p *poll, k kid, rd read)) {
	for i := range c.polls {
		p := &c.polls[i]
		for _, kr := range c.keysOf(p) {
			for _, rd := range c.readsOf(&kr) {
				f(p, kr.key, rd)
			}
		}
	}
}

// The words the explanations use.

var outcomes = [...]string{outOK: "committed", outFail: "aborted", outInfo: "indeterminate", outNever: "never completed"}

// label names transaction i by its lines and process.
func (c *Checker) label(i int32) string {
	t := &c.txns[i]
	if t.completeOp < 0 {
		return fmt.Sprintf("the %s transaction of op %d (process %d)", outcomes[t.typ], t.invokeOp, t.process)
	}
	return fmt.Sprintf("the %s transaction of ops %d-%d (process %d)", outcomes[t.typ], t.invokeOp, t.completeOp, t.process)
}

// ops are transaction i's lines.
func (c *Checker) ops(i int32) []int64 {
	t := &c.txns[i]
	if t.completeOp < 0 {
		return []int64{t.invokeOp}
	}
	return []int64{t.invokeOp, t.completeOp}
}

// readerLabel names the op a poll belongs to.
func (c *Checker) readerLabel(p *poll) string {
	switch {
	case p.reader >= 0:
		return "a poll of " + c.label(p.reader)
	case p.drain:
		return fmt.Sprintf("the final drain's poll (op %d)", p.op)
	}
	return fmt.Sprintf("the poll of op %d (process %d)", p.op, p.process)
}

// readerOps are the lines that show a poll: its transaction's, or its own completion.
func (c *Checker) readerOps(p *poll) []int64 {
	if p.reader >= 0 {
		return c.ops(p.reader)
	}
	return []int64{p.op}
}
