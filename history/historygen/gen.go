// Package historygen simulates a correct Kafka and writes the history a
// run against it would record. Benchmarks and tests use it as a source of
// large, realistically concurrent, anomaly-free histories: clean ones (Default), or ones with
// the nemesis' faults, indeterminate and failed operations and consumers crashing (WithFaults).
package historygen

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"math/rand"
	"os"

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
	// CrashRate is the chance that a consumer crashes on purpose before a poll, as the queue
	// workload's crash-client does: a crash invoke and info by its process, after which it goes
	// on under a new process id from where it had read.
	CrashRate float64
	// FaultEvery, when positive, has the nemesis (process -1) inject a fault every FaultEvery
	// ns of simulated time or so (between half and one and a half of it), hold it about
	// FaultHold ns and recover it, recording both as the nemesis does; the run ends with a
	// heal-all and the wait for the cluster to recover before the final drain.
	FaultEvery, FaultHold int64
	// While a fault lasts, the operations on the partitions it hits (a leader fault's own; every
	// partition for a network partition) end as info and fail with these chances instead of
	// InfoRate and FailRate, and take FaultSlowdown times as long.
	FaultInfoRate, FaultFailRate float64
	FaultSlowdown                int
}

// Default is the benchmark's shape: 8 keys, 4 producers, 4 consumers.
func Default(lines int) Config {
	return Config{Lines: lines, Keys: 8, Producers: 4, Consumers: 4, MaxBatch: 4, Seed: 1}
}

// WithFaults is Default with what a run under faults records: a fault every 10 s of simulated
// time or so, held about 4 s (leader kills, pauses and isolations, network partitions), 1% of
// operations ending info and 1% failing, 15% each on the partitions a fault hits while it
// lasts, 20 times slower there, and a consumer crash every thousand polls or so.
func WithFaults(lines int) Config {
	c := Default(lines)
	c.InfoRate, c.FailRate, c.CrashRate = 0.01, 0.01, 0.001
	c.FaultEvery, c.FaultHold = 10e9, 4e9
	c.FaultInfoRate, c.FaultFailRate, c.FaultSlowdown = 0.15, 0.15, 20
	return c
}

type eventKind uint8

const (
	evInvoke eventKind = iota
	evApply
	evComplete
	evNemesis // the nemesis' next step (process is -1)
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
	crash   bool // a consumer's deliberate crash, not a poll
	slow    int64
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
	nem      nemesis
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
	s.nem = newNemesis(cfg)
	if cfg.FaultEvery > 0 {
		s.schedule(s.nem.after(cfg.FaultEvery), evNemesis, history.NemesisProcess)
	}
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
		case evNemesis:
			err = s.nemesisStep(ev)
		}
		if err != nil {
			return s.index, err
		}
		s.lastTime = ev.at
	}
	if cfg.FaultEvery > 0 {
		if err := s.heal(); err != nil {
			return s.index, err
		}
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
		if s.cfg.CrashRate > 0 && !s.stopping && s.rng.Float64() < s.cfg.CrashRate {
			return s.crash(ev, f)
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
	infoRate, failRate := s.cfg.InfoRate, s.cfg.FailRate
	f.slow = 1
	if s.hit(p, f.key) {
		infoRate, failRate, f.slow = s.cfg.FaultInfoRate, s.cfg.FaultFailRate, int64(max(s.cfg.FaultSlowdown, 1))
	}
	if r := s.rng.Float64(); r < infoRate {
		f.outcome = history.Info
	} else if r < infoRate+failRate {
		f.outcome = history.Fail
	}
	var err error
	if f.invoke, err = s.write(op); err != nil {
		return err
	}
	s.schedule(ev.at+f.slow*s.micros(50, 1500), evApply, p)
	return nil
}

// crash records a consumer's deliberate crash, as the queue workload's crash-client does: an
// invoke and, a moment later, an info by the process that dies (complete).
func (s *sim) crash(ev event, f *inflight) error {
	f.crash, f.outcome = true, history.Info
	var err error
	f.invoke, err = s.write(history.Op{Time: ev.at, Process: s.pid[ev.process], Type: history.Invoke, F: history.FCrash,
		Value: mustJSON(crashValue)})
	if err != nil {
		return err
	}
	s.schedule(ev.at+s.micros(100, 2000), evComplete, ev.process)
	return nil
}

// crashValue is a crash op's value (workloads.CrashValue).
var crashValue = map[string]string{"reason": "crash-client"}

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
	s.schedule(ev.at+f.slow*s.micros(50, 1000), evComplete, p)
}

func (s *sim) complete(ev event) error {
	p := ev.process
	f := &s.ops[p]
	op := history.Op{Time: ev.at, Process: s.pid[p], Type: f.outcome, F: f.invoke.F}
	switch {
	case f.crash:
		op.Value, op.Error = mustJSON(crashValue), "crashed on purpose: client closed, connections dropped"
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

// WriteFile writes a history to a new file at path, buffered, and returns the number of lines.
func WriteFile(path string, cfg Config) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	// Hide w's Flush from history.Writer, which would flush it after every line.
	n, err := Generate(struct{ io.Writer }{w}, cfg)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
