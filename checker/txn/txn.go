// Package txn checks the transactional guarantees of a history of the txn workload, with
// Jepsen's names, one file per guarantee: aborted reads (aborted.go, G1a), reads of sends not
// yet committed (precommitted.go), transactions seen in part (torn.go), the final log's lost
// writes of transactions that reads show committed but that ended info (lost.go), a
// transaction's own reads and sends against the log's order (intpoll.go, intsend.go) and
// dependency cycles among committed transactions (cycles.go, with checker/cycle; explain.go
// says what each edge is).
// Which of them Kafka's design allows is Allowed (allowed.go).
//
// A Checker wraps the queue checker (checker.Checker): plain sends and polls (the final drain)
// go to it as lines, and each transaction's sends and polls are fed to it when the transaction
// completes (checker.Send, checker.Poll), so every committed-write check of the queue workload
// (lost-write and the final log, duplicate, inconsistent-offsets, poll-skip, nonmonotonic-poll,
// nonmonotonic-send, phantom-read, lag) applies to committed transactions too. For a history
// without transactions the result is the queue checker's. It is pure: it reads a history and
// returns a checker.Result.
package txn

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/history"
)

// vid numbers a value, kid a key; values are unique across a history.
type (
	vid = int32
	kid = int32
)

// send is one send mop of a transaction; offset is -1 when the history gives none.
type send struct {
	key    kid
	val    vid
	offset int64
}

// read is one record a poll returned.
type read struct {
	offset int64
	val    vid
}

// keyReads are a poll's records of one key, in the order returned (readArena[r0:r1]); from is
// the offset a plain poll asked for (-1: not said).
type keyReads struct {
	key    kid
	r0, r1 int32
	from   int64
}

// poll is one poll mop that ran, or one ok plain poll (a drain's, or a consumer's); its keys are
// keyArena[k0:k1].
type poll struct {
	reader  int32 // the transaction it belongs to; -1 for a plain poll
	process int32
	op      int64 // the completion line (of the transaction, for a poll mop)
	time    int64 // its completion time
	k0, k1  int32
	drain   bool
}

// outcome is how a transaction ended.
type outcome uint8

const (
	outOK    outcome = iota // committed
	outFail                 // aborted
	outInfo                 // indeterminate
	outNever                // never completed
)

// txn is one transaction. Its sends are sendArena[s0:s1], its polls that ran polls[p0:p1], in
// mop order. Nothing in it is a pointer, nor in a poll, so that the garbage collector need not
// scan a million of them.
type txn struct {
	process                  int32
	typ                      outcome
	abort                    bool // aborted on purpose
	mops                     int32
	s0, s1, p0, p1           int32
	invokeOp, completeOp     int64 // completeOp is -1 for one that never completed
	invokeTime, completeTime int64
	commitAt                 int64 // when the client asked to commit; -1: it did not (or the history does not say)
}

// openTxn is a transaction invoked and not yet completed.
type openTxn struct {
	op, time int64
	value    history.TxnValue
}

// openPoll is a plain poll invoked and not yet completed.
type openPoll struct {
	drain bool
	from  map[string]int64
}

// Checker checks a history fed to it one op at a time, in order (as history.Decoder gives them).
type Checker struct {
	opts   checker.Options
	inner  *checker.Checker
	sawTxn bool
	open   map[int]openTxn
	plain  map[int]openPoll // plain polls, tracked once the history has shown a transaction
	txns   []txn
	polls  []poll
	// The arenas of the transactions' sends, the polls' keys and their reads.
	sendArena []send
	keyArena  []keyReads
	readArena []read
	// Interned values and keys. writer is the transaction that sent a value (-1: none did),
	// sentTo the key it was sent to (-1).
	valueID  map[string]vid
	values   []string
	writer   []int32
	sentTo   []kid
	keyID    map[string]kid
	keyNames []string
	// feedReads and feedSlices are feed's scratch space.
	feedReads  map[string][]history.Read
	feedSlices [][]history.Read
	// okWithoutOffset counts committed transactions' sends with no offset, fed as info.
	okWithoutOffset int
	start           time.Time
}

// New returns a Checker with the queue checker's options.
func New(opts checker.Options) *Checker {
	return &Checker{opts: opts, inner: checker.New(opts), open: map[int]openTxn{}, plain: map[int]openPoll{},
		valueID: map[string]vid{}, keyID: map[string]kid{}, start: time.Now()}
}

// EachAckedSend yields the send lines acknowledged so far (checker.Checker.EachAckedSend).
func (c *Checker) EachAckedSend(yield func(key, value string, op, offset int64)) {
	c.inner.EachAckedSend(yield)
}

// Check reads a history from r and checks it, as checker.Check does.
func Check(ctx context.Context, r io.Reader, opts checker.Options) (*checker.Result, error) {
	c := New(opts)
	warnings, err := checker.Stream(ctx, r, c.Observe)
	if err != nil {
		return nil, err
	}
	res := c.Finish(ctx)
	res.Warnings = append(warnings, res.Warnings...)
	return res, nil
}

// Observe feeds the next op. Every op goes to the queue checker, which counts it and enforces
// that a process whose op ended info never invokes again; transactions are also recorded here.
func (c *Checker) Observe(op history.Op) error {
	if err := c.inner.Observe(op); err != nil {
		return err
	}
	if !op.IsClient() {
		return nil
	}
	switch op.F {
	case history.FTxn:
		c.sawTxn = true
		if op.Type == history.Invoke {
			v, err := op.Txn()
			if err != nil {
				return err
			}
			c.open[op.Process] = openTxn{op: op.Index, time: op.Time, value: v}
			return nil
		}
		return c.complete(op)
	case history.FPoll:
		if c.sawTxn {
			return c.plainPoll(op)
		}
	}
	return nil
}

// plainPoll records an ok plain poll's reads (the final drain's, mostly): they too can be
// aborted, precommitted or torn reads.
func (c *Checker) plainPoll(op history.Op) error {
	if op.Type == history.Invoke {
		pi, err := op.PollKeys()
		if err != nil {
			return err
		}
		c.plain[op.Process] = openPoll{drain: pi.Drain, from: pi.From}
		return nil
	}
	inv, ok := c.plain[op.Process]
	delete(c.plain, op.Process)
	if !ok || op.Type != history.OK {
		return nil
	}
	pr, err := op.PollReads()
	if err != nil {
		return err
	}
	p := poll{reader: -1, op: op.Index, time: op.Time, process: int32(op.Process), drain: inv.drain,
		k0: int32(len(c.keyArena))}
	for _, name := range sortedNames(pr.Reads) {
		from, ok := inv.from[name]
		if !ok {
			from = -1
		}
		c.addReads(name, from, pr.Reads[name])
	}
	p.k1 = int32(len(c.keyArena))
	c.polls = append(c.polls, p)
	return nil
}

// complete records a transaction's completion and feeds its sends and polls to the queue checker.
func (c *Checker) complete(op history.Op) error {
	inv, ok := c.open[op.Process]
	if !ok {
		return fmt.Errorf("txn %s by process %d without an invocation", op.Type, op.Process)
	}
	delete(c.open, op.Process)
	v, err := op.Txn()
	if err != nil {
		return err
	}
	if err := sameMops(inv.value.Mops, v.Mops); err != nil {
		return fmt.Errorf("txn completion of op %d: %w", inv.op, err)
	}
	typ := map[history.Type]outcome{history.OK: outOK, history.Fail: outFail, history.Info: outInfo}[op.Type]
	t := txn{process: int32(op.Process), invokeOp: inv.op, completeOp: op.Index, invokeTime: inv.time, completeTime: op.Time,
		commitAt: -1, typ: typ, abort: inv.value.Abort, mops: int32(len(v.Mops))}
	if v.CommitAt != nil {
		t.commitAt = *v.CommitAt
	}
	if err := c.record(&t, v.Mops); err != nil {
		return err
	}
	return c.feed(&c.txns[len(c.txns)-1])
}

// record files transaction t and its mops.
func (c *Checker) record(t *txn, mops []history.Mop) error {
	id := int32(len(c.txns))
	t.s0, t.p0 = int32(len(c.sendArena)), int32(len(c.polls))
	for _, m := range mops {
		switch m.F {
		case history.MopSend:
			s := send{key: c.key(m.Key), val: c.value(m.Value), offset: -1}
			if m.Offset != nil {
				s.offset = *m.Offset
			}
			if c.writer[s.val] >= 0 {
				return fmt.Errorf("value %q was already sent by the transaction of op %d; values must be unique across the whole history",
					m.Value, c.txns[c.writer[s.val]].invokeOp)
			}
			c.writer[s.val], c.sentTo[s.val] = id, s.key
			c.sendArena = append(c.sendArena, s)
		case history.MopPoll:
			if m.Reads == nil {
				continue // never ran
			}
			p := poll{reader: id, op: t.completeOp, time: t.completeTime, process: t.process, k0: int32(len(c.keyArena))}
			for _, name := range sortedNames(m.Reads) {
				c.addReads(name, -1, m.Reads[name])
			}
			p.k1 = int32(len(c.keyArena))
			c.polls = append(c.polls, p)
		}
	}
	t.s1, t.p1 = int32(len(c.sendArena)), int32(len(c.polls))
	c.txns = append(c.txns, *t)
	return nil
}

// sameMops checks that a completion repeats its invocation's mops.
func sameMops(inv, done []history.Mop) error {
	if len(inv) != len(done) {
		return fmt.Errorf("the completion has %d mops, the invocation %d", len(done), len(inv))
	}
	for i := range inv {
		a, b := inv[i], done[i]
		if a.F != b.F || a.Key != b.Key || a.Value != b.Value {
			return fmt.Errorf("mop %d is %s %s %q in the completion but %s %s %q in the invocation", i, b.F, b.Key, b.Value, a.F, a.Key, a.Value)
		}
	}
	return nil
}
