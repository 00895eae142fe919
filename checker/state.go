package checker

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// sendStatus is what the history says about a value's send.
type sendStatus uint8

const (
	unsent  sendStatus = iota // read, but no send of it in the history
	pending                   // invoked, never completed (counts as info)
	sentOK
	sentFail
	sentInfo
)

const never = math.MaxInt64 // time of an event that did not happen

// appearance is one offset a value was seen at, and the first op showing it.
type appearance struct {
	offset int64
	op     int64
}

// valueRecord summarises everything known about one value of one key.
// Memory grows with these, not with the length of the history.
type valueRecord struct {
	value      string
	process    int
	status     sendStatus
	invokeOp   int64 // -1 if unsent
	completeOp int64 // -1 if not completed
	invokeTime int64
	returnTime int64 // never unless ok, fail or info
	ack        int64 // acknowledged offset; valid when status == sentOK
	firstRead  int64 // op of the first ok poll that read it, -1 if none
	seen       []appearance
	// drainOffset and drainOp: where the final drain read it (-1: it did not).
	drainOffset, drainOp int64
	lost                 bool // reported as a lost write: the linearizability model leaves it out
	aborted              bool // a transaction's aborted send (ObserveSend): no committed record
}

// offsetRecord is the first value observed at an offset.
type offsetRecord struct {
	value string
	op    int64
}

// conflict is a further distinct value observed at an offset.
type conflict struct {
	offset int64
	value  string
	op     int64
}

// pollRecord is an ok poll of a key kept for the linearizability check.
type pollRecord struct {
	op         int64
	process    int
	returnTime int64
	last       int64        // highest offset read
	lastRec    *valueRecord // the value read there
}

// gap is a range of offsets a process's polls jumped over: (from, to).
type gap struct {
	process  int
	from, to int64 // exclusive bounds
	ops      [2]int64
	asked    bool // from+1 is the offset the poll asked for, not a previous read
}

// processState is one process's view of one key.
type processState struct {
	hasAck, hasPoll bool
	lastAck         int64
	lastAckOp       int64
	lastPoll        int64
	lastPollOp      int64
}

// keyState accumulates one key's summaries as the history streams by.
type keyState struct {
	name      string
	values    map[string]*valueRecord
	offsets   map[int64]offsetRecord
	conflicts []conflict
	maxRead   int64
	maxReadOp int64
	polls     []pollRecord
	gaps      []gap
	procs     map[int]*processState
	found     []Anomaly // anomalies detected while streaming
	drain     drainState
	lag       []lagPoll
	// conflictsAt indexes conflicts by offset, built when the final log needs it.
	conflictsAt map[int64][]string
}

// openOp is an outstanding client invocation.
type openOp struct {
	op   int64
	time int64
	f    string
	send *valueRecord
	key  *keyState
	poll history.PollInvoke // a poll's keys, from and drain marker
}

// Checker checks a history fed to it one op at a time. Ops must be valid
// and in order, as produced by history.Decoder. Use Check for a reader.
type Checker struct {
	opts Options
	keys map[string]*keyState
	open map[int]openOp
	// sentTo maps every value a send carried to its key: values are unique across the history.
	sentTo map[string]*keyState
	// lastInfo maps a process to the op whose info completion ended it: it may not go on.
	lastInfo map[int]int64
	// clientInvokes counts send and poll invocations; a history without one has nothing to judge.
	clientInvokes int64
	drained       bool // some poll carried the final-drain marker
	pollsWithFrom int64
	pollsWithHW   int64
	fed           int64 // sends and polls fed directly (ObserveSend, ObservePoll): a transactional history
	stats         Stats
	start         time.Time
}

// New returns a Checker with the given options.
func New(opts Options) *Checker {
	return &Checker{opts: opts, keys: make(map[string]*keyState), open: make(map[int]openOp),
		sentTo: make(map[string]*keyState), lastInfo: make(map[int]int64), start: time.Now()}
}

func (c *Checker) key(name string) *keyState {
	k := c.keys[name]
	if k == nil {
		k = &keyState{name: name, values: make(map[string]*valueRecord), offsets: make(map[int64]offsetRecord),
			maxRead: -1, maxReadOp: -1, procs: make(map[int]*processState), drain: newDrainState()}
		c.keys[name] = k
	}
	return k
}

func (k *keyState) value(v string) *valueRecord {
	r := k.values[v]
	if r == nil {
		r = &valueRecord{value: v, invokeOp: -1, completeOp: -1, returnTime: never, firstRead: -1,
			drainOffset: -1, drainOp: -1}
		k.values[v] = r
	}
	return r
}

func (k *keyState) proc(p int) *processState {
	s := k.procs[p]
	if s == nil {
		s = &processState{}
		k.procs[p] = s
	}
	return s
}

// Observe feeds the next op of the history.
func (c *Checker) Observe(op history.Op) error {
	c.stats.Lines++
	if !op.IsClient() {
		c.stats.NemesisOps++
		return nil
	}
	if op.Type == history.Invoke {
		if op.F == history.FSend || op.F == history.FPoll {
			c.clientInvokes++
		}
		if at, ended := c.lastInfo[op.Process]; ended {
			return fmt.Errorf("process %d invokes %s after its operation ended info (op %d): a process whose last outcome is unknown must not go on; give the rest of that client a new process id",
				op.Process, op.F, at)
		}
	} else if op.Type == history.Info {
		c.lastInfo[op.Process] = op.Index
	}
	if op.F != history.FSend && op.F != history.FPoll {
		return nil // consumer-group ops: checked by checker/group
	}
	if op.Type == history.Invoke {
		return c.invoke(op)
	}
	inv, ok := c.open[op.Process]
	if !ok {
		return fmt.Errorf("%s completion by process %d without an invocation", op.Type, op.Process)
	}
	delete(c.open, op.Process)
	if op.F == history.FSend {
		return c.completeSend(op, inv)
	}
	return c.completePoll(op, inv)
}

func (c *Checker) invoke(op history.Op) error {
	if _, busy := c.open[op.Process]; busy {
		return fmt.Errorf("process %d invokes while an operation is outstanding", op.Process)
	}
	o := openOp{op: op.Index, time: op.Time, f: op.F}
	if op.F == history.FSend {
		sv, err := op.Send()
		if err != nil {
			return err
		}
		if o.send, o.key, err = c.startSend(op.Process, op.Index, op.Time, sv.Key, sv.Value); err != nil {
			return err
		}
	} else {
		pi, err := op.PollKeys()
		if err != nil {
			return err
		}
		o.poll = pi
		c.invokePoll(op, pi)
	}
	c.open[op.Process] = o
	return nil
}

// startSend records the invocation of a send of value to key (a send line, or a fed Send).
func (c *Checker) startSend(process int, op, time int64, key, value string) (*valueRecord, *keyState, error) {
	if key == "" {
		return nil, nil, fmt.Errorf("send has no key")
	}
	if prev := c.sentTo[value]; prev != nil {
		return nil, nil, fmt.Errorf("value %q was already sent (to %s) by op %d; values must be unique across the whole history",
			value, prev.name, prev.values[value].invokeOp)
	}
	k := c.key(key)
	r := k.value(value)
	r.invokeOp, r.invokeTime, r.process, r.status = op, time, process, pending
	c.sentTo[r.value] = k // the map key shares r.value's bytes
	return r, k, nil
}

func (c *Checker) completeSend(op history.Op, inv openOp) error {
	var offset *int64
	if op.Type == history.OK {
		sv, err := op.Send()
		if err != nil {
			return err
		}
		offset = sv.Offset
	}
	return c.endSend(inv.send, inv.key, op.Type, op.Process, op.Index, op.Time, offset, true)
}

// endSend records a send's outcome; ordered says whether its offset is compared with the
// process's previous send to the key (nonmonotonic-send).
func (c *Checker) endSend(r *valueRecord, k *keyState, typ history.Type, process int, op, time int64, offset *int64, ordered bool) error {
	r.completeOp = op
	r.returnTime = time
	switch typ {
	case history.Fail:
		r.status = sentFail
		c.stats.SendsFail++
		return nil
	case history.Info:
		r.status = sentInfo
		c.stats.SendsInfo++
		return nil
	}
	c.stats.SendsOK++
	if offset == nil {
		return fmt.Errorf("ok send has no offset")
	}
	r.status, r.ack = sentOK, *offset
	k.observe(r, r.ack, op)
	k.checkSendOrder(process, r, op, ordered)
	return nil
}

// observe records that value r was seen at offset by op.
func (k *keyState) observe(r *valueRecord, offset, op int64) {
	if cur, ok := k.offsets[offset]; !ok {
		k.offsets[offset] = offsetRecord{value: r.value, op: op}
	} else if cur.value != r.value && !k.hasConflict(offset, r.value) {
		k.conflicts = append(k.conflicts, conflict{offset: offset, value: r.value, op: op})
	}
	for _, a := range r.seen {
		if a.offset == offset {
			return
		}
	}
	r.seen = append(r.seen, appearance{offset: offset, op: op})
}

func (k *keyState) hasConflict(offset int64, value string) bool {
	for _, c := range k.conflicts {
		if c.offset == offset && c.value == value {
			return true
		}
	}
	return false
}

// Finish runs the end-of-history checks and returns the verdict.
func (c *Checker) Finish(ctx context.Context) *Result {
	res := &Result{Anomalies: make(map[AnomalyType][]Anomaly)}
	c.stats.Incomplete = int64(len(c.open))
	if c.clientInvokes == 0 {
		res.Incomplete = append(res.Incomplete, "the history has no send or poll: there is nothing to judge")
	}
	var finalLog finalLogReport
	names := make([]string, 0, len(c.keys))
	for name := range c.keys {
		names = append(names, name)
	}
	sort.Strings(names)
	keys := make([]*keyState, len(names))
	for i, name := range names {
		k := c.keys[name]
		keys[i] = k
		c.stats.Values += len(k.values)
		for _, r := range k.values {
			if r.status == unsent {
				c.stats.UnsentValues++
			}
		}
		add(res, k.found)
		add(res, c.durability(k, &finalLog))
		add(res, c.phantomReads(k))
		add(res, duplicates(k))
		add(res, inconsistentOffsets(k))
		add(res, abortedReads(k))
		add(res, pollSkips(k))
	}
	c.stats.Keys = len(keys)
	res.Incomplete = append(res.Incomplete, finalLog.incomplete()...)
	if !c.drained && c.stats.SendsOK > 0 && c.pollsWithFrom+c.pollsWithHW > 0 {
		// Polls of this format come from a run that drains at its end: this one stopped first.
		res.Incomplete = append(res.Incomplete, "the polls say where they asked and what the high watermark was, but none is marked as the final drain: the run ended before its drain, so acknowledged writes cannot be judged against a final log")
	}
	res.Warnings = append(res.Warnings, c.formatWarnings()...)
	res.Lag = measureLag(keys)
	res.intact = intactOffsets(keys, c.drained)
	if c.fed > 0 {
		res.Warnings = append(res.Warnings, transactionalLinearizability)
	} else {
		linStart := time.Now()
		lin := checkLinearizable(ctx, keys, c.opts, &c.stats)
		add(res, lin.anomalies)
		res.Incomplete = append(res.Incomplete, lin.incomplete...)
		c.stats.LinSeconds = time.Since(linStart).Seconds()
	}
	c.stats.DurationSeconds = time.Since(c.start).Seconds()
	res.Stats = c.stats
	res.verdict(c.opts.Allow)
	return res
}

func add(res *Result, list []Anomaly) {
	for _, a := range list {
		res.Anomalies[a.Type] = append(res.Anomalies[a.Type], a)
	}
}

func intp(v int) *int { return &v }
