package checker

import (
	"context"
	"fmt"
	"iter"
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

// valueRecord summarises everything known about one value of one key. Memory grows with these,
// not with the length of the history, so they are kept small, hold no pointer and are allocated
// in chunks (values.go); the value's bytes are in the arena (Checker.str).
type valueRecord struct {
	invokeOp   int64 // -1 if unsent
	completeOp int64 // -1 if not completed
	invokeTime int64
	returnTime int64 // never unless ok, fail or info
	ack        int64 // acknowledged offset; valid when status == sentOK
	firstRead  int64 // op of the first ok poll that read it, -1 if none
	// drainOffset and drainOp: where the final drain read it (-1: it did not).
	drainOffset, drainOp int64
	// seen0 is the first offset it was seen at (acknowledged or read), when nseen > 0; the
	// others are in its key's moreSeen.
	seen0   appearance
	process int
	id      recID
	key     int32 // its key's index in Checker.keyList
	// vchunk, voff and vlen place the value's bytes in the arena.
	vchunk, voff, vlen uint32
	// linPoll is 1 + the index in its key's polls of the kept poll whose highest record it is
	// (0: none): a later poll that read it there again adds nothing (see keyState.poll).
	linPoll int32
	nseen   int32
	status  sendStatus
	lost    bool // reported as a lost write: the linearizability model leaves it out
	aborted bool // a transaction's aborted send (ObserveSend): no committed record
	fed     bool // a transaction's send (ObserveSend), not a send line
}

// offsetRecord is the first value observed at an offset: its record is ref-1 (0: an offset not
// seen).
type offsetRecord struct {
	ref int32
	op  int64
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
	last       int64 // highest offset read
	lastRec    recID // the value read there
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
	c         *Checker
	id        int32
	name      string
	ids       []recID                // the key's value records, in the order made
	moreSeen  map[recID][]appearance // appearances after a record's first
	offsets   offsetTable[offsetRecord]
	conflicts []conflict
	maxRead   int64
	maxReadOp int64
	polls     []pollRecord
	gaps      []gap
	procs     map[int]*processState
	found     []Anomaly // anomalies detected while streaming
	drain     drainState
	lag       lagState
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
	// A poll's keys, the offsets it asked for (pollKey.from) and the drain marker.
	keys  []pollKey
	drain bool
}

// pollKey is a key a poll asked for (listed), or one its from names only, with the offset
// asked for (-1: not said).
type pollKey struct {
	name   string
	from   int64
	listed bool
}

// Checker checks a history fed to it one op at a time. Ops must be valid
// and in order, as produced by history.Decoder. Use Check for a reader.
type Checker struct {
	opts    Options
	keys    map[string]*keyState
	keyList []*keyState // by keyState.id
	names   map[string]string
	open    map[int]*openOp
	free    []*openOp // completed ops' storage, for reuse
	// recs are the value records (values.go), arena their values' bytes. values finds a value's
	// first record; its records in other keys (it was sent to one and read from another) are in
	// elsewhere, by the first. Values are unique across the history, so a value has one record
	// per key it was sent to or read from.
	recs      [][]valueRecord
	nrecs     int
	arena     valueArena
	values    valueIndex
	elsewhere map[recID][]recID
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
	// Scratch space for decoding values and dispatching a poll's keys.
	invokeView  history.PollInvokeView
	resultView  history.PollResultView
	pollTargets []pollTarget
	fedReads    []history.KeyReads
	fedViews    []history.ReadView
}

// New returns a Checker with the given options.
func New(opts Options) *Checker {
	return &Checker{opts: opts, keys: make(map[string]*keyState), names: make(map[string]string),
		open: make(map[int]*openOp), elsewhere: make(map[recID][]recID), lastInfo: make(map[int]int64), start: time.Now()}
}

func (c *Checker) key(name string) *keyState {
	k := c.keys[name]
	if k == nil {
		k = &keyState{c: c, id: int32(len(c.keyList)), name: name, maxRead: -1, maxReadOp: -1,
			procs: make(map[int]*processState), drain: newDrainState(), lag: newLagState()}
		c.keys[name] = k
		c.keyList = append(c.keyList, k)
	}
	return k
}

// intern returns name as a string shared by every op that names it.
func (c *Checker) intern(name []byte) string {
	if s, ok := c.names[string(name)]; ok {
		return s
	}
	s := string(name)
	c.names[s] = s
	return s
}

// value returns k's record of value v, making it if there is none. v may alias a buffer: the
// record keeps a copy.
func (k *keyState) value(v []byte) *valueRecord {
	c := k.c
	home, h, slot := c.values.find(c, v)
	if home < 0 {
		id := c.newRecord(k, v)
		c.values.insert(c, id, h, slot)
		return c.rec(id)
	}
	return k.near(home)
}

// near returns k's record of the value whose first record is home, making it if there is none.
func (k *keyState) near(home recID) *valueRecord {
	c := k.c
	if r := k.find(home); r != nil {
		return r
	}
	h := c.rec(home)
	id := c.addRecord(k, h.vchunk, h.voff, h.vlen) // the value's bytes are shared
	c.elsewhere[home] = append(c.elsewhere[home], id)
	return c.rec(id)
}

// readValue returns k's record of the value a poll read, making it if there is none. The value
// first seen at the offset is usually the one: that saves a look-up in the history-wide index.
func (k *keyState) readValue(rd history.ReadView) *valueRecord {
	if cur := k.offsets.at(rd.Offset, false); cur != nil && cur.ref > 0 {
		if r := k.c.rec(cur.ref - 1); k.c.str(r) == string(rd.Value) {
			return r
		}
	}
	return k.value(rd.Value)
}

// record returns k's record of value v, or nil.
func (k *keyState) record(v string) *valueRecord {
	if home, _, _ := k.c.values.find(k.c, bytesOf(v)); home >= 0 {
		return k.find(home)
	}
	return nil
}

// find returns k's record of the value whose first record is home, or nil.
func (k *keyState) find(home recID) *valueRecord {
	c := k.c
	if r := c.rec(home); r.key == k.id {
		return r
	}
	for _, id := range c.elsewhere[home] {
		if r := c.rec(id); r.key == k.id {
			return r
		}
	}
	return nil
}

// sentRecord returns the record of the send of the value whose first record is home (to
// whichever key), or nil.
func (c *Checker) sentRecord(home recID) *valueRecord {
	if r := c.rec(home); r.invokeOp >= 0 {
		return r
	}
	for _, id := range c.elsewhere[home] {
		if r := c.rec(id); r.invokeOp >= 0 {
			return r
		}
	}
	return nil
}

// records yields every value record of k, in the order they were made.
func (k *keyState) records() iter.Seq[*valueRecord] {
	return func(yield func(*valueRecord) bool) {
		for _, id := range k.ids {
			if !yield(k.c.rec(id)) {
				return
			}
		}
	}
}

// seen returns the offsets r was seen at, each with the first op showing it.
func (k *keyState) seen(r *valueRecord) []appearance {
	if r.nseen == 0 {
		return nil
	}
	return append([]appearance{r.seen0}, k.moreSeen[r.id]...)
}

// minSeen is the lowest offset r was seen at; r must have been seen.
func (k *keyState) minSeen(r *valueRecord) int64 {
	m := r.seen0.offset
	for _, s := range k.moreSeen[r.id] {
		m = min(m, s.offset)
	}
	return m
}

func (k *keyState) proc(p int) *processState {
	s := k.procs[p]
	if s == nil {
		if k.procs == nil {
			k.procs = make(map[int]*processState)
		}
		s = &processState{}
		k.procs[p] = s
	}
	return s
}

// Observe feeds the next op of the history. Its value is only read during the call (it may
// alias a decoder's buffer: Decoder.BorrowValues).
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
	defer c.release(inv)
	if op.F == history.FSend {
		return c.completeSend(op, inv)
	}
	return c.completePoll(op, inv)
}

// release keeps a completed op's storage for the next invocation.
func (c *Checker) release(o *openOp) {
	*o = openOp{keys: o.keys[:0]}
	c.free = append(c.free, o)
}

func (c *Checker) invoke(op history.Op) error {
	if _, busy := c.open[op.Process]; busy {
		return fmt.Errorf("process %d invokes while an operation is outstanding", op.Process)
	}
	var o *openOp
	if n := len(c.free); n > 0 {
		o, c.free = c.free[n-1], c.free[:n-1]
	} else {
		o = &openOp{}
	}
	o.op, o.time, o.f = op.Index, op.Time, op.F
	if op.F == history.FSend {
		sv, err := history.ParseSend(op.Value)
		if err != nil {
			c.release(o)
			return err
		}
		if o.send, o.key, err = c.startSend(op.Process, op.Index, op.Time, sv.Key, sv.Value); err != nil {
			c.release(o)
			return err
		}
	} else {
		if err := history.ParsePollInvoke(op.Value, &c.invokeView); err != nil {
			c.release(o)
			return err
		}
		c.invokePoll(o, &c.invokeView)
	}
	c.open[op.Process] = o
	return nil
}

// startSend records the invocation of a send of value to key (a send line, or a fed Send). key
// and value may alias a buffer.
func (c *Checker) startSend(process int, op, time int64, key, value []byte) (*valueRecord, *keyState, error) {
	if len(key) == 0 {
		return nil, nil, fmt.Errorf("send has no key")
	}
	home, h, slot := c.values.find(c, value)
	if home >= 0 {
		if prev := c.sentRecord(home); prev != nil {
			return nil, nil, fmt.Errorf("value %q was already sent (to %s) by op %d; values must be unique across the whole history",
				value, c.keyList[prev.key].name, prev.invokeOp)
		}
	}
	k := c.keys[string(key)]
	if k == nil {
		k = c.key(string(key))
	}
	var r *valueRecord
	if home < 0 {
		id := c.newRecord(k, value)
		c.values.insert(c, id, h, slot)
		r = c.rec(id)
	} else {
		r = k.near(home)
	}
	r.invokeOp, r.invokeTime, r.process, r.status = op, time, process, pending
	return r, k, nil
}

func (c *Checker) completeSend(op history.Op, inv *openOp) error {
	var offset *int64
	if op.Type == history.OK {
		sv, err := history.ParseSend(op.Value)
		if err != nil {
			return err
		}
		if sv.HasOffset {
			offset = &sv.Offset
		}
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
	if cur := k.offsets.at(offset, true); cur.ref == 0 {
		*cur = offsetRecord{ref: r.id + 1, op: op}
	} else if cur.ref != r.id+1 && !k.hasConflict(offset, k.c.str(r)) {
		k.conflicts = append(k.conflicts, conflict{offset: offset, value: k.c.str(r), op: op})
	}
	if r.nseen == 0 {
		r.seen0, r.nseen = appearance{offset: offset, op: op}, 1
		return
	}
	if r.seen0.offset == offset {
		return
	}
	more := k.moreSeen[r.id]
	for _, a := range more {
		if a.offset == offset {
			return
		}
	}
	if k.moreSeen == nil {
		k.moreSeen = map[recID][]appearance{}
	}
	k.moreSeen[r.id] = append(more, appearance{offset: offset, op: op})
	r.nseen++
}

func (k *keyState) hasConflict(offset int64, value string) bool {
	for _, c := range k.conflicts {
		if c.offset == offset && c.value == value {
			return true
		}
	}
	return false
}

// Finish runs the end-of-history checks and returns the verdict. Call it once, after the last op.
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
		c.stats.Values += len(k.ids)
		for r := range k.records() {
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
	for _, k := range keys {
		// What only streaming and lag needed, freed before the linearizability search.
		k.lag.ends, k.procs = offsetTable[lagCell]{}, nil
	}
	if c.fed > 0 {
		res.Warnings = append(res.Warnings, transactionalLinearizability)
	} else {
		linStart := time.Now()
		lin := checkLinearizable(ctx, keys, c.opts, &c.stats)
		add(res, lin.anomalies)
		res.Incomplete = append(res.Incomplete, lin.incomplete...)
		c.stats.LinSeconds = time.Since(linStart).Seconds()
	}
	res.intact = intactOffsets(keys, c.drained)
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
