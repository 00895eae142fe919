// Package historygen simulates a correct Kafka and writes the history a
// run against it would record. Benchmarks and tests use it as a source of
// large, realistically concurrent, anomaly-free histories.
package historygen

import (
	"container/heap"
	"fmt"
	"io"
	"math/rand"

	"github.com/kafkaesque/kafkaesque/history"
)

// Config shapes a generated history.
type Config struct {
	Lines     int     // approximate number of lines (each op is two)
	Keys      int     // partitions, named "t-0", "t-1", ...
	Producers int     // processes 0..Producers-1 send to random keys
	Consumers int     // the next processes poll their assigned keys
	MaxBatch  int     // most records a poll returns per key
	InfoRate  float64 // chance a send or poll ends as info
	FailRate  float64 // chance a send or poll ends as fail
	Seed      int64
}

// Default is the benchmark's shape: 8 keys, 4 producers, 4 consumers.
func Default(lines int) Config {
	return Config{Lines: lines, Keys: 8, Producers: 4, Consumers: 4, MaxBatch: 4, Seed: 1}
}

type eventKind uint8

const (
	evInvoke eventKind = iota
	evApply
	evComplete
)

type event struct {
	at      int64
	seq     int64
	kind    eventKind
	process int
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// inflight is a process's current operation.
type inflight struct {
	invoke  history.Op
	key     int
	value   string
	outcome history.Type
	offset  int64
	from    map[string]int64
	reads   map[string][]history.Read
	hw      map[string]int64
}

type sim struct {
	cfg      Config
	rng      *rand.Rand
	w        *history.Writer
	queue    events
	seq      int64
	index    int64
	logs     [][]string
	position [][]int64 // consumer -> key -> next offset
	ops      []inflight
	sent     int
	stopping bool
	stopped  int   // producers that have finished
	pid      []int // slot -> its current process id: a process that ended info does not go on
	nextPID  int
	lastTime int64
}

// Generate writes a history to w and returns the number of lines written.
func Generate(w io.Writer, cfg Config) (int64, error) {
	if cfg.Keys <= 0 || cfg.Producers <= 0 || cfg.Consumers <= 0 || cfg.MaxBatch <= 0 {
		return 0, fmt.Errorf("historygen: keys, producers, consumers and batch must be positive")
	}
	s := &sim{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), w: history.NewWriter(w),
		logs: make([][]string, cfg.Keys), ops: make([]inflight, cfg.Producers+cfg.Consumers)}
	for range cfg.Consumers {
		s.position = append(s.position, make([]int64, cfg.Keys))
	}
	for p := range s.ops {
		s.pid = append(s.pid, p)
		s.schedule(int64(s.rng.Intn(1000)), evInvoke, p)
	}
	s.nextPID = len(s.ops)
	for s.queue.Len() > 0 {
		ev := heap.Pop(&s.queue).(event)
		var err error
		switch ev.kind {
		case evInvoke:
			err = s.invoke(ev)
		case evApply:
			s.apply(ev)
		case evComplete:
			err = s.complete(ev)
		}
		if err != nil {
			return s.index, err
		}
		s.lastTime = ev.at
	}
	return s.index, s.drain()
}

// drainBatch is how many records one final-drain poll returns.
const drainBatch = 500

// drain writes the final drain: every key read from offset 0 to its end, in polls marked
// "drain", as a run's drain after healing would.
func (s *sim) drain() error {
	t := s.lastTime + 1_000_000
	for k := range s.cfg.Keys {
		name := keyName(k)
		p := s.nextPID + k
		hw := int64(len(s.logs[k]))
		// Until a poll asks at the high watermark and sees the end of the log.
		for from := int64(0); ; from = min(from+drainBatch, hw) {
			inv := history.Op{Time: t, Process: p, Type: history.Invoke, F: history.FPoll,
				Value: mustJSON(history.PollInvoke{Keys: []string{name}, From: map[string]int64{name: from}, Drain: true})}
			var reads []history.Read
			for o := from; o < min(from+drainBatch, hw); o++ {
				reads = append(reads, history.Read{Offset: o, Value: s.logs[k][o]})
			}
			ok := history.Op{Time: t + 1000, Process: p, Type: history.OK, F: history.FPoll,
				Value: mustJSON(history.PollResult{Reads: map[string][]history.Read{name: reads}, HW: map[string]int64{name: hw}})}
			if _, err := s.write(inv); err != nil {
				return err
			}
			if _, err := s.write(ok); err != nil {
				return err
			}
			t += 2000
			if from >= hw {
				break
			}
		}
	}
	return nil
}

func (s *sim) schedule(at int64, kind eventKind, p int) {
	s.seq++
	heap.Push(&s.queue, event{at: at, seq: s.seq, kind: kind, process: p})
}

// micros returns a random duration in [lo, hi) microseconds, in ns.
func (s *sim) micros(lo, hi int) int64 { return int64(lo+s.rng.Intn(hi-lo)) * 1000 }

func (s *sim) write(op history.Op) (history.Op, error) {
	op.Index = s.index
	s.index++
	return op, s.w.Write(op)
}

func (s *sim) consumerKeys(c int) []int {
	var keys []int
	for k := c; k < s.cfg.Keys; k += s.cfg.Consumers {
		keys = append(keys, k)
	}
	return keys
}

func keyName(k int) string { return fmt.Sprintf("t-%d", k) }

func (s *sim) invoke(ev event) error {
	p := ev.process
	if int(s.index) >= s.cfg.Lines-4*len(s.ops) {
		s.stopping = true
	}
	op := history.Op{Time: ev.at, Process: s.pid[p], Type: history.Invoke}
	f := &s.ops[p]
	*f = inflight{outcome: history.OK}
	if p < s.cfg.Producers {
		if s.stopping {
			s.stopped++
			return nil
		}
		f.key = s.rng.Intn(s.cfg.Keys)
		s.sent++
		f.value = fmt.Sprintf("v%d", s.sent)
		op.F = history.FSend
		op.Value = mustJSON(history.SendValue{Key: keyName(f.key), Value: f.value})
	} else {
		c := p - s.cfg.Producers
		if s.stopping && s.stopped == s.cfg.Producers && s.caughtUp(c) {
			return nil
		}
		var names []string
		from := map[string]int64{}
		for _, k := range s.consumerKeys(c) {
			names = append(names, keyName(k))
			from[keyName(k)] = s.position[c][k]
		}
		op.F = history.FPoll
		op.Value = mustJSON(history.PollInvoke{Keys: names, From: from})
	}
	if r := s.rng.Float64(); r < s.cfg.InfoRate {
		f.outcome = history.Info
	} else if r < s.cfg.InfoRate+s.cfg.FailRate {
		f.outcome = history.Fail
	}
	var err error
	if f.invoke, err = s.write(op); err != nil {
		return err
	}
	s.schedule(ev.at+s.micros(50, 1500), evApply, p)
	return nil
}

func (s *sim) caughtUp(c int) bool {
	for _, k := range s.consumerKeys(c) {
		if s.position[c][k] < int64(len(s.logs[k])) {
			return false
		}
	}
	return true
}

// apply is the operation's linearization point in the simulated broker.
func (s *sim) apply(ev event) {
	p := ev.process
	f := &s.ops[p]
	switch {
	case p < s.cfg.Producers:
		// An info send may or may not land; a failed one never does.
		if f.outcome == history.OK || f.outcome == history.Info && s.rng.Intn(2) == 0 {
			f.offset = int64(len(s.logs[f.key]))
			s.logs[f.key] = append(s.logs[f.key], f.value)
		}
	case f.outcome == history.OK:
		c := p - s.cfg.Producers
		f.reads = make(map[string][]history.Read)
		f.hw = make(map[string]int64)
		for _, k := range s.consumerKeys(c) {
			f.hw[keyName(k)] = int64(len(s.logs[k]))
			n := s.rng.Intn(s.cfg.MaxBatch + 1)
			for ; n > 0 && s.position[c][k] < int64(len(s.logs[k])); n-- {
				pos := s.position[c][k]
				f.reads[keyName(k)] = append(f.reads[keyName(k)], history.Read{Offset: pos, Value: s.logs[k][pos]})
				s.position[c][k]++
			}
		}
	}
	s.schedule(ev.at+s.micros(50, 1000), evComplete, p)
}

func (s *sim) complete(ev event) error {
	p := ev.process
	f := &s.ops[p]
	op := history.Op{Time: ev.at, Process: s.pid[p], Type: f.outcome, F: f.invoke.F}
	switch {
	case f.outcome == history.Info:
		op.Error = "timeout"
	case f.outcome == history.Fail:
		op.Error = "not leader"
	case op.F == history.FSend:
		off := f.offset
		op.Value = mustJSON(history.SendValue{Key: keyName(f.key), Value: f.value, Offset: &off})
	default:
		op.Value = mustJSON(history.PollResult{Reads: f.reads, HW: f.hw})
	}
	if _, err := s.write(op); err != nil {
		return err
	}
	if f.outcome == history.Info {
		s.pid[p] = s.nextPID // its outcome is unknown: the client goes on as a new process
		s.nextPID++
	}
	s.schedule(ev.at+s.micros(1, 200), evInvoke, p)
	return nil
}
