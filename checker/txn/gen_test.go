package txn

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"slices"

	"github.com/kafkaesque/kafkaesque/history"
)

// genConfig shapes a generated transactional history: a simulated Kafka that is correct at
// read-committed (records visible only below the last stable offset, once their transaction
// committed; commit and abort markers take offsets), driven like the txn workload.
type genConfig struct {
	Lines, Keys, Clients, MaxMops, MaxBatch int
	AbortRate, FailRate, InfoRate           float64 // on purpose; after an error; indeterminate
	Seed                                    int64
}

type simRecord struct {
	value string
	txn   int // -1 for a marker
}

// simClient is one client: a transactional producer and its read-committed consumer.
type simClient struct {
	process    int
	next       int64 // time of its next step; -1 when done
	pos, start []int64
	txn        int // the running transaction's id, -1 between transactions
	mops       []history.Mop
	step       int
	abort      bool
	invokeAt   int64
}

type sim struct {
	cfg     genConfig
	rng     *rand.Rand
	w       *history.Writer
	index   int64
	now     int64
	logs    [][]simRecord
	open    []map[int]int64 // per key: running transaction -> its first offset there
	status  []uint8         // per transaction: 0 running, 1 committed, 2 aborted
	values  int
	nextPID int
	started int
}

// generate writes a transactional history of about cfg.Lines lines, the final drain included.
func generate(out io.Writer, cfg genConfig) (int64, error) {
	s := &sim{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), w: history.NewWriter(out),
		logs: make([][]simRecord, cfg.Keys), open: make([]map[int]int64, cfg.Keys), nextPID: cfg.Clients}
	for k := range s.open {
		s.open[k] = map[int]int64{}
	}
	clients := make([]*simClient, cfg.Clients)
	for i := range clients {
		clients[i] = &simClient{process: i, next: int64(s.rng.Intn(1000)), pos: make([]int64, cfg.Keys), txn: -1}
	}
	for {
		var c *simClient
		for _, x := range clients {
			if x.next >= 0 && (c == nil || x.next < c.next) {
				c = x
			}
		}
		if c == nil {
			break
		}
		s.now = max(s.now+1, c.next)
		if err := s.step(c); err != nil {
			return s.index, err
		}
	}
	return s.index, s.drain()
}

func (s *sim) line(process int, typ history.Type, f string, value any) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return err
	}
	op := history.Op{Index: s.index, Time: s.now, Process: process, Type: typ, F: f, Value: raw}
	s.index++
	return s.w.Write(op)
}

// step runs a client's next step: begin a transaction, run one of its mops, or end it.
func (s *sim) step(c *simClient) error {
	pause := func() { c.next = s.now + 1 + int64(s.rng.Intn(200_000)) }
	switch {
	case c.txn < 0:
		if s.index >= int64(s.cfg.Lines)-int64(s.cfg.Keys*8) {
			c.next = -1
			return nil
		}
		c.txn, c.step, c.abort = len(s.status), 0, s.rng.Float64() < s.cfg.AbortRate
		s.status = append(s.status, 0)
		c.mops = c.mops[:0]
		planned := []history.Mop{}
		for range 1 + s.rng.Intn(s.cfg.MaxMops) {
			m := history.Poll()
			if s.rng.Intn(5) < 3 {
				s.values++
				m = history.Send(fmt.Sprintf("t-%d", s.rng.Intn(s.cfg.Keys)), fmt.Sprintf("v%d", s.values))
			}
			planned = append(planned, m)
			c.mops = append(c.mops, m)
		}
		c.start = slices.Clone(c.pos)
		pause()
		return s.line(c.process, history.Invoke, history.FTxn, history.TxnValue{Mops: planned,
			TxnID: fmt.Sprintf("txn-%d", c.process), Abort: c.abort})
	case c.step < len(c.mops):
		m := &c.mops[c.step]
		c.step++
		if m.F == history.MopSend {
			var k int
			fmt.Sscanf(m.Key, "t-%d", &k)
			off := int64(len(s.logs[k]))
			s.logs[k] = append(s.logs[k], simRecord{value: m.Value, txn: c.txn})
			if _, ok := s.open[k][c.txn]; !ok {
				s.open[k][c.txn] = off
			}
			m.Offset = &off
		} else {
			m.Reads = s.poll(c.pos, s.cfg.MaxBatch)
		}
		pause()
		return nil
	}
	return s.end(c)
}

// end decides the running transaction's outcome and writes its completion.
func (s *sim) end(c *simClient) error {
	v := history.TxnValue{Mops: c.mops}
	typ := history.OK
	r := s.rng.Float64()
	commit := true
	switch {
	case c.abort || r < s.cfg.FailRate:
		typ, commit = history.Fail, false
	case r < s.cfg.FailRate+s.cfg.InfoRate:
		typ = history.Info
		if s.rng.Intn(3) == 0 { // failed before asking to commit
			commit = false
		} else {
			commit = s.rng.Intn(2) == 0
			at := s.now
			v.CommitAt = &at
		}
	default:
		at := s.now
		v.CommitAt = &at
	}
	s.resolve(c.txn, commit)
	if !commit {
		copy(c.pos, c.start) // the consumer goes back to its committed position
	}
	s.now++
	process := c.process
	if typ == history.Info { // the process is over; the client goes on as a new one
		c.process, s.nextPID = s.nextPID, s.nextPID+1
	}
	c.txn = -1
	c.next = s.now + 1 + int64(s.rng.Intn(100_000))
	return s.line(process, typ, history.FTxn, v)
}

// resolve commits or aborts transaction t: its records become visible or never will, and each
// partition it wrote gets a marker.
func (s *sim) resolve(t int, commit bool) {
	s.status[t] = 2
	if commit {
		s.status[t] = 1
	}
	for k := range s.open {
		if _, ok := s.open[k][t]; ok {
			delete(s.open[k], t)
			s.logs[k] = append(s.logs[k], simRecord{txn: -1})
		}
	}
}

// poll reads every key (pollKey): Kafka answers for the partitions that had records.
func (s *sim) poll(pos []int64, batch int) map[string][]history.Read {
	reads := map[string][]history.Read{}
	for k := range s.logs {
		if rs := s.pollKey(k, pos, batch); len(rs) > 0 {
			reads[fmt.Sprintf("t-%d", k)] = rs
		}
	}
	return reads
}

// pollKey reads, from key k's position up to its last stable offset, at most batch committed
// records, and moves the position past what it read and skipped.
func (s *sim) pollKey(k int, pos []int64, batch int) []history.Read {
	lso := int64(len(s.logs[k]))
	for _, first := range s.open[k] {
		lso = min(lso, first)
	}
	var reads []history.Read
	off := pos[k]
	for ; off < lso && len(reads) < batch; off++ {
		if rec := s.logs[k][off]; rec.txn >= 0 && s.status[rec.txn] == 1 {
			reads = append(reads, history.Read{Offset: off, Value: rec.value})
		}
	}
	pos[k] = off
	return reads
}

// drain writes the final drain: each key read from 0 to its end by polls marked "drain".
func (s *sim) drain() error {
	for k := range s.logs {
		name, p := fmt.Sprintf("t-%d", k), s.nextPID+k
		hw := int64(len(s.logs[k]))
		pos := make([]int64, len(s.logs))
		for {
			from := pos[k]
			s.now++
			if err := s.line(p, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{name}, From: map[string]int64{name: from}, Drain: true}); err != nil {
				return err
			}
			reads := s.pollKey(k, pos, 500)
			s.now++
			if err := s.line(p, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{name: reads}, HW: map[string]int64{name: hw}}); err != nil {
				return err
			}
			if from >= hw {
				break
			}
		}
	}
	return nil
}
