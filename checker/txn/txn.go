// Package txn checks the transactional guarantees of a history of the txn workload, with
// Jepsen's names, one file per guarantee: aborted reads (aborted.go, G1a), reads of sends not
// yet committed (precommitted.go), transactions seen in part (torn.go), a transaction's own
// reads and sends against the log's order (intpoll.go, intsend.go) and dependency cycles among
// committed transactions (cycles.go, with checker/cycle; explain.go says what each edge is).
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
	"slices"
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

// keyReads are a poll's records of one key, in the order returned; from is the offset a plain
// poll asked for (-1: not said).
type keyReads struct {
	key   kid
	from  int64
	reads []read
}

// poll is one poll mop that ran, or one ok plain poll (a drain's, or a consumer's).
type poll struct {
	reader  int32 // the transaction it belongs to; -1 for a plain poll
	op      int64 // the completion line (of the transaction, for a poll mop)
	time    int64 // its completion time
	process int
	drain   bool
	keys    []keyReads
}

// txn is one transaction.
type txn struct {
	process                  int
	invokeOp, completeOp     int64 // completeOp is -1 for one that never completed
	invokeTime, completeTime int64
	commitAt                 int64        // when the client asked to commit; -1: it did not (or the history does not say)
	typ                      history.Type // OK, Fail, Info, or Invoke for one that never completed
	abort                    bool         // aborted on purpose
	mops                     int
	sends                    []send
	polls                    []int32 // indexes into Checker.polls, in mop order
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
	// Interned values and keys. writer is the transaction that sent a value (-1: none did),
	// sentTo the key it was sent to (-1).
	valueID  map[string]vid
	values   []string
	writer   []int32
	sentTo   []kid
	keyID    map[string]kid
	keyNames []string
	// okWithoutOffset counts committed transactions' sends with no offset, fed as info.
	okWithoutOffset int
	start           time.Time
}

// New returns a Checker with the queue checker's options.
func New(opts checker.Options) *Checker {
	return &Checker{opts: opts, inner: checker.New(opts), open: map[int]openTxn{}, plain: map[int]openPoll{},
		valueID: map[string]vid{}, keyID: map[string]kid{}, start: time.Now()}
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
	p := poll{reader: -1, op: op.Index, time: op.Time, process: op.Process, drain: inv.drain}
	for _, name := range sortedNames(pr.Reads) {
		from, ok := inv.from[name]
		if !ok {
			from = -1
		}
		p.keys = append(p.keys, c.keyReads(name, from, pr.Reads[name]))
	}
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
	t := txn{process: op.Process, invokeOp: inv.op, completeOp: op.Index, invokeTime: inv.time, completeTime: op.Time,
		commitAt: -1, typ: op.Type, abort: inv.value.Abort, mops: len(v.Mops)}
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
			t.sends = append(t.sends, s)
		case history.MopPoll:
			if m.Reads == nil {
				continue // never ran
			}
			p := poll{reader: id, op: t.completeOp, time: t.completeTime, process: t.process}
			for _, name := range sortedNames(m.Reads) {
				p.keys = append(p.keys, c.keyReads(name, -1, m.Reads[name]))
			}
			t.polls = append(t.polls, int32(len(c.polls)))
			c.polls = append(c.polls, p)
		}
	}
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

func (c *Checker) key(name string) kid {
	if k, ok := c.keyID[name]; ok {
		return k
	}
	k := kid(len(c.keyNames))
	c.keyID[name] = k
	c.keyNames = append(c.keyNames, name)
	return k
}

func (c *Checker) value(v string) vid {
	if id, ok := c.valueID[v]; ok {
		return id
	}
	id := vid(len(c.values))
	c.valueID[v] = id
	c.values = append(c.values, v)
	c.writer = append(c.writer, -1)
	c.sentTo = append(c.sentTo, -1)
	return id
}

func (c *Checker) keyReads(name string, from int64, reads []history.Read) keyReads {
	kr := keyReads{key: c.key(name), from: from, reads: make([]read, len(reads))}
	for i, rd := range reads {
		kr.reads[i] = read{offset: rd.Offset, val: c.value(rd.Value)}
	}
	return kr
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
