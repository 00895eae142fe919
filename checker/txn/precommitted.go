package txn

import (
	"fmt"

	"github.com/kafkaesque/kafkaesque/checker"
)

// readKind says what a read shows about its writer's commit.
type readKind uint8

const (
	readFine readKind = iota
	// precommitted-read: Kafka shows a transaction's sends to read-committed readers only once
	// it commits; Jepsen also counts a transaction that reads its own send.
	readOwn          // the reader's own transaction sent it
	readBeforeCommit // the reader completed before the writer asked to commit
	readBeforeEnd    // the writer never asked to commit, and the reader completed while it ran
	// aborted-read (G1a).
	readAborted      // the writer aborted
	readNeverCommits // the writer never asked to commit and had ended when the reader completed
)

// classify says what poll p's read of rd shows, and who sent it (-1: no transaction).
func (c *Checker) classify(p *poll, rd read) (int32, readKind) {
	w := c.writer[rd.val]
	if w < 0 {
		return w, readFine
	}
	t := &c.txns[w]
	switch {
	case w == p.reader:
		return w, readOwn
	case t.typ == outFail:
		return w, readAborted
	case t.commitAt >= 0 && p.time < t.commitAt:
		return w, readBeforeCommit
	case t.commitAt < 0 && t.typ == outInfo && p.time < t.completeTime:
		return w, readBeforeEnd
	case t.commitAt < 0 && t.typ == outInfo:
		return w, readNeverCommits
	}
	return w, readFine // an ok writer without commit_at, or one that never completed: no bound known
}

// firstReads reports, for each value some read of which is of a kind keep accepts, the first
// such read (in completion order), with how many more there were.
func (c *Checker) firstReads(keep func(readKind) bool, explain func(w int32, p *poll, k kid, rd read, kind readKind) checker.Anomaly) []checker.Anomaly {
	var out []checker.Anomaly
	first := map[vid]int{}
	more := map[vid]int{}
	c.eachRead(func(p *poll, k kid, rd read) {
		w, kind := c.classify(p, rd)
		if !keep(kind) {
			return
		}
		if _, seen := first[rd.val]; seen {
			more[rd.val]++
			return
		}
		first[rd.val] = len(out)
		out = append(out, explain(w, p, k, rd, kind))
	})
	for v, n := range more {
		out[first[v]].Explanation += fmt.Sprintf(" (and %d more reads of it)", n)
	}
	return out
}

// precommittedReads finds reads of sends their transaction had not (yet) asked to commit.
func precommittedReads(a *analysis) []checker.Anomaly {
	c := a.Checker
	keep := func(k readKind) bool { return k == readOwn || k == readBeforeCommit || k == readBeforeEnd }
	return c.firstReads(keep, func(w int32, p *poll, k kid, rd read, kind readKind) checker.Anomaly {
		an := c.readAnomaly(checker.PrecommittedRead, w, p, k, rd)
		t := &c.txns[w]
		switch kind {
		case readOwn:
			an.Explanation = fmt.Sprintf("%s read its own send %q at offset %d of %s, before committing it",
				c.label(w), c.values[rd.val], rd.offset, c.keyNames[k])
		case readBeforeCommit:
			an.Explanation = fmt.Sprintf("%s read %q at offset %d of %s and completed at %s, before %s, which sent it, asked to commit at %s",
				c.readerLabel(p), c.values[rd.val], rd.offset, c.keyNames[k], seconds(p.time), c.label(w), seconds(t.commitAt))
		default:
			an.Explanation = fmt.Sprintf("%s read %q at offset %d of %s and completed at %s, while %s, which sent it and never asked to commit, still ran (until %s)",
				c.readerLabel(p), c.values[rd.val], rd.offset, c.keyNames[k], seconds(p.time), c.label(w), seconds(t.completeTime))
		}
		return an
	})
}

// readAnomaly is an anomaly of a read: the writer's and the reader's lines, the key, offset and value.
func (c *Checker) readAnomaly(typ checker.AnomalyType, w int32, p *poll, k kid, rd read) checker.Anomaly {
	ops := c.ops(w)
	if p.reader != w {
		ops = append(ops, c.readerOps(p)...)
	}
	proc := int(p.process)
	return checker.Anomaly{Type: typ, Key: c.keyNames[k], Ops: ops, Process: &proc,
		Offsets: []int64{rd.offset}, Values: []string{c.values[rd.val]}}
}

// seconds formats a history time (ns since the run began).
func seconds(ns int64) string { return fmt.Sprintf("%.6fs", float64(ns)/1e9) }
