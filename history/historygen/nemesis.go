package historygen

import (
	"fmt"
	"math/rand"

	"github.com/kafkaesque/kafkaesque/history"
)

// brokers are the simulated cluster's nodes, named as the harness names them; the leader of
// partition k is brokers[k%3].
var brokers = []string{"kafka1", "kafka2", "kafka3"}

// faultKinds are the faults the simulated nemesis injects, with the action its info records.
// A leader fault hits its partition; a network partition hits every one.
var faultKinds = []struct {
	name, action string
	leader       bool
}{
	{"kill-leader", "kill", true},
	{"pause-leader", "pause", true},
	{"isolate-leader", "cut", true},
	{"partition-majority", "cut", false},
}

// injection is the value of a fault's info op, as nemesis.Injection marshals; faultRef the
// value of its recovery, as nemesis.FaultRef does.
type injection struct {
	Fault     string   `json:"fault"`
	Action    string   `json:"action,omitempty"`
	Nodes     []string `json:"nodes,omitempty"`
	From      []string `json:"from,omitempty"`
	Partition string   `json:"partition,omitempty"`
}

type faultRef struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes,omitempty"`
	Partition string   `json:"partition,omitempty"`
}

// nemesis is the simulated fault injector: one fault at a time, each an injection (invoke,
// info) and, after the hold, its recovery (invoke, info). It draws from its own generator, so
// that a history without faults is the one Default always gave.
type nemesis struct {
	rng   *rand.Rand
	step  int // 0: next injects, 1: next records the injection, 2: next recovers, 3: next records the recovery
	fault injection
	key   int  // the partition a leader fault hits
	all   bool // a network partition: every partition is hit
	on    bool // the fault is in effect
}

func newNemesis(cfg Config) nemesis {
	return nemesis{rng: rand.New(rand.NewSource(cfg.Seed + 1)), key: -1}
}

// after returns a duration between half and one and a half of d.
func (n *nemesis) after(d int64) int64 { return d/2 + n.rng.Int63n(max(d, 1)) }

// hit reports whether the fault in effect slows the operation of client slot p on key (a
// producer's) or on its assigned keys (a consumer's).
func (s *sim) hit(p, key int) bool {
	n := &s.nem
	switch {
	case !n.on:
		return false
	case n.all:
		return true
	case p < s.cfg.Producers:
		return key == n.key
	}
	for _, k := range s.consumerKeys(p - s.cfg.Producers) {
		if k == n.key {
			return true
		}
	}
	return false
}

// nemesisStep takes the nemesis' next step at ev.at and schedules the one after it. Once the
// clients are stopping it injects nothing more, but recovers what it injected.
func (s *sim) nemesisStep(ev event) error {
	n := &s.nem
	op := history.Op{Time: ev.at, Process: history.NemesisProcess, Type: history.Info}
	next := ev.at + s.nemMicros(1000, 50000)
	switch n.step {
	case 0:
		if s.stopping {
			return nil
		}
		kind := faultKinds[n.rng.Intn(len(faultKinds))]
		n.fault, n.key, n.all = injection{Fault: kind.name, Action: kind.action}, -1, !kind.leader
		if kind.leader {
			n.key = n.rng.Intn(s.cfg.Keys)
			leader := brokers[n.key%len(brokers)]
			n.fault.Nodes, n.fault.Partition = []string{leader}, keyName(n.key)
			if kind.action == "cut" {
				n.fault.From = append(others(leader), "zk1")
			}
		} else {
			minority := brokers[n.rng.Intn(len(brokers))]
			n.fault.Nodes, n.fault.From = []string{minority}, append(others(minority), "zk1")
		}
		op.Type, op.F, op.Value = history.Invoke, kind.name, mustJSON(faultRef{Fault: kind.name})
	case 1:
		op.F, op.Value = n.fault.Fault, mustJSON(n.fault)
		n.on = true
		next = ev.at + n.after(s.cfg.FaultHold)
	case 2:
		op.Type, op.F, op.Value = history.Invoke, history.FRecover, mustJSON(n.ref())
	case 3:
		op.F, op.Value = history.FRecover, mustJSON(n.ref())
		n.on = false
		next = ev.at + n.after(s.cfg.FaultEvery)
	}
	if _, err := s.write(op); err != nil {
		return err
	}
	n.step = (n.step + 1) % 4
	s.schedule(next, evNemesis, history.NemesisProcess)
	return nil
}

func (n *nemesis) ref() faultRef {
	return faultRef{Fault: n.fault.Fault, Nodes: n.fault.Nodes, Partition: n.fault.Partition}
}

// nemMicros is a random duration in [lo, hi) microseconds, in ns, from the nemesis' generator.
func (s *sim) nemMicros(lo, hi int) int64 { return int64(lo+s.nem.rng.Intn(hi-lo)) * 1000 }

func others(node string) []string {
	var out []string
	for _, b := range brokers {
		if b != node {
			out = append(out, b)
		}
	}
	return out
}

// heal writes the end of a run with faults: the nemesis' heal-all, then the run's wait for the
// cluster to recover, before the final drain.
func (s *sim) heal() error {
	t := s.lastTime + 1_000_000
	limit := map[string]string{"limit": "1m0s"}
	for _, op := range []history.Op{
		{Time: t, Type: history.Invoke, F: history.FHealAll},
		{Time: t + 2_000_000, Type: history.Info, F: history.FHealAll, Value: mustJSON(struct{}{})},
		{Time: t + 3_000_000, Type: history.Invoke, F: history.FAwaitRecovery, Value: mustJSON(limit)},
		{Time: t + 500_000_000, Type: history.Info, F: history.FAwaitRecovery, Value: mustJSON(limit)},
	} {
		op.Process = history.NemesisProcess
		if _, err := s.write(op); err != nil {
			return fmt.Errorf("heal: %w", err)
		}
		s.lastTime = op.Time
	}
	return nil
}
