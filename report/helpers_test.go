package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/checker/runcheck"
	"github.com/kafkaesque/kafkaesque/electionlog"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/report/rundir"
)

// xssValue is a payload value the report must show as text.
const xssValue = `<script>alert(1)</script>`

// syntheticRun writes a realistic 30-second ZooKeeper-mode run directory: three partitions, a
// broker kill during which partition 1 loses the writes its lone in-sync leader acknowledged
// (the first of them is xssValue), and a network partition. It returns the directory.
func syntheticRun(t testing.TB) string {
	t.Helper()
	dir := syntheticRunWith(t, zkElections(), zkNemesis(), "kafka1", "kafka2", "kafka3", "zk1")
	writeConfig(t, dir)
	writeResults(t, dir, map[checker.AnomalyType]bool{checker.Duplicate: true})
	return dir
}

// fixtureNemesisOp is one of a synthetic run's nemesis ops: f's invocation at at, its info
// completion with value 0.15 s later.
type fixtureNemesisOp struct {
	at      float64
	f       string
	value   map[string]any
	applied bool
}

func sec(s float64) int64 { return int64(s * 1e9) }

// zkPartition is ZooKeeper's state of jepsen-p at time at.
func zkPartition(at float64, p, leader, epoch int, isr []int, recovering bool) electionlog.Event {
	e := electionlog.Event{Time: sec(at), Kind: electionlog.KindPartition, Source: electionlog.SourceZooKeeper,
		Topic: "jepsen", Partition: electionlog.Int(p), Leader: electionlog.Int(leader), LeaderEpoch: electionlog.Int(epoch), ISR: isr}
	if recovering {
		e.LeaderRecovery = 1
	}
	return e
}

// zkElections is the ZooKeeper run's election log: kafka2, the controller, is killed at 8 s and
// kafka1 takes over; partition 1 is elected uncleanly to kafka3; kafka3 is partitioned away at 18 s.
func zkElections() []electionlog.Event {
	controller := func(at float64, id, epoch int) electionlog.Event {
		return electionlog.Event{Time: sec(at), Kind: electionlog.KindController, Source: electionlog.SourceZooKeeper,
			Controller: electionlog.Int(id), ControllerEpoch: electionlog.Int(epoch)}
	}
	events := []electionlog.Event{controller(0.01, 2, 1)}
	for p := range 3 {
		events = append(events, zkPartition(0.02, p, p+1, 0, []int{1, 2, 3}, false))
	}
	return append(events,
		zkPartition(7.0, 1, 2, 0, []int{2}, false),     // followers fall behind
		controller(8.3, 1, 2),                          // kafka2 (the controller) is killed at 8.0s
		zkPartition(8.4, 1, 3, 1, []int{3}, true),      // unclean: 3 was not in the ISR
		zkPartition(8.45, 0, 1, 0, []int{1, 3}, false), // kafka2 leaves the other ISRs
		zkPartition(8.45, 2, 3, 0, []int{1, 3}, false),
		zkPartition(15.0, 1, 3, 1, []int{1, 2, 3}, false), // recovered
		zkPartition(15.2, 0, 1, 0, []int{1, 2, 3}, false),
		zkPartition(15.2, 2, 3, 0, []int{1, 2, 3}, false),
		zkPartition(18.5, 2, 1, 1, []int{1}, false), // kafka3 partitioned away
		zkPartition(23.0, 2, 1, 1, []int{1, 2, 3}, false),
	)
}

func zkNemesis() []fixtureNemesisOp {
	return []fixtureNemesisOp{
		{at: 8.0, f: "kill", value: map[string]any{"fault": "kill", "nodes": []string{"kafka2"}}},
		{at: 14.0, f: "recover", value: map[string]any{"fault": "kill", "nodes": []string{"kafka2"}}},
		{at: 18.0, f: "partition", value: map[string]any{"fault": "partition", "nodes": []string{"kafka3"}, "partition": "jepsen-2"}},
		{at: 28.0, f: "heal-all", value: map[string]any{}},
	}
}

// syntheticRunWith writes a run directory's history (the workload around the nemesis ops given,
// partition 1 truncated at 8.4 s), its election log and the nodes' logs; the caller writes
// config.json and results.json.
func syntheticRunWith(t testing.TB, events []electionlog.Event, nemesis []fixtureNemesisOp, nodes ...string) string {
	t.Helper()
	dir := t.TempDir()
	hf, err := os.Create(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := os.Create(filepath.Join(dir, rundir.ElectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	ew := electionlog.NewWriter(ef)
	for _, e := range events {
		if err := ew.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	ef.Close()

	hw := history.NewWriter(hf)
	var index int64
	write := func(at int64, process int, typ history.Type, f string, value any, errMsg string) history.Op {
		op := history.Op{Index: index, Time: at, Process: process, Type: typ, F: f, Error: errMsg}
		if value != nil {
			op.Value, _ = json.Marshal(value)
		}
		if err := hw.Write(op); err != nil {
			t.Fatal(err)
		}
		index++
		return op
	}
	rng := rand.New(rand.NewSource(7))
	logs := make([][]string, 3)
	positions := [2][3]int{}
	truncated, reordered := false, false
	lossFrom := -1
	next := 0
	xssSent := false
	inFault := func(s float64) bool { return (s >= 8.0 && s < 9.5) || (s >= 18.0 && s < 19.0) }
	// A producer whose send ended info goes on as a new process, as the workload's do.
	producerID := []int{0, 1, 2}
	nextID := 5
	for now := sec(0.1); now < sec(29.5); now += sec(0.004) {
		s := float64(now) / 1e9
		for i := range nemesis {
			n := &nemesis[i]
			if !n.applied && s >= n.at {
				n.applied = true
				inv := write(now, history.NemesisProcess, history.Invoke, n.f, map[string]any{"fault": n.value["fault"]}, "")
				write(inv.Time+sec(0.15), history.NemesisProcess, history.Info, n.f, n.value, "")
			}
		}
		if !reordered && s >= 18.5 {
			// A real-time violation across processes, which only the linearizability model
			// sees: a send acknowledged at offset L+1 completes before another process's send,
			// acknowledged at L, is invoked.
			reordered = true
			lateL := int64(len(logs[0]))
			lateNext := lateL + 1
			write(now, 100, history.Invoke, history.FSend, history.SendValue{Key: "jepsen-0", Value: "late-a"}, "")
			write(now+sec(0.001), 100, history.OK, history.FSend, history.SendValue{Key: "jepsen-0", Value: "late-a", Offset: &lateNext}, "")
			write(now+sec(0.002), 101, history.Invoke, history.FSend, history.SendValue{Key: "jepsen-0", Value: "late-b"}, "")
			write(now+sec(0.003), 101, history.OK, history.FSend, history.SendValue{Key: "jepsen-0", Value: "late-b", Offset: &lateL}, "")
			logs[0] = append(logs[0], "late-b", "late-a")
		}
		if !truncated && s >= 8.4 {
			truncated = true
			logs[1] = logs[1][:lossFrom]
		}
		if lossFrom < 0 && s >= 7.0 {
			lossFrom = len(logs[1])
		}
		process := int(now/sec(0.004)) % 5
		lat := sec(0.0008 + rng.Float64()*0.003)
		if inFault(s) {
			lat += sec(rng.Float64() * 0.4)
		}
		if process < 3 { // producer
			slot := process
			process = producerID[slot]
			key := rng.Intn(3)
			value := fmt.Sprintf("v%d", next)
			next++
			if key == 1 && s >= 7.0 && !xssSent {
				value, xssSent = xssValue, true
			}
			k := fmt.Sprintf("jepsen-%d", key)
			write(now, process, history.Invoke, history.FSend, history.SendValue{Key: k, Value: value}, "")
			switch {
			case inFault(s) && rng.Float64() < 0.3:
				write(now+lat, process, history.Fail, history.FSend, history.SendValue{Key: k, Value: value}, "NOT_LEADER_OR_FOLLOWER")
			case inFault(s) && rng.Float64() < 0.2:
				logs[key] = append(logs[key], value)
				write(now+lat, process, history.Info, history.FSend, history.SendValue{Key: k, Value: value}, "request timed out")
				producerID[slot], nextID = nextID, nextID+1
			default:
				logs[key] = append(logs[key], value)
				off := int64(len(logs[key]) - 1)
				write(now+lat, process, history.OK, history.FSend, history.SendValue{Key: k, Value: value, Offset: &off}, "")
			}
			continue
		}
		consumer := process - 3
		keys := []string{"jepsen-0", "jepsen-1", "jepsen-2"}
		write(now, process, history.Invoke, history.FPoll, history.PollInvoke{Keys: keys}, "")
		if s >= 7.0 && s < 8.5 || inFault(s) && rng.Float64() < 0.3 {
			write(now+lat, process, history.Fail, history.FPoll, nil, "fetch timed out")
			continue
		}
		reads := map[string][]history.Read{}
		for key := range 3 {
			var rs []history.Read
			for len(rs) < 6 && positions[consumer][key] < len(logs[key]) {
				off := positions[consumer][key]
				rs = append(rs, history.Read{Offset: int64(off), Value: logs[key][off]})
				positions[consumer][key]++
			}
			reads[keys[key]] = rs
		}
		write(now+lat, process, history.OK, history.FPoll, history.PollResult{Reads: reads}, "")
	}
	// Drain: both consumers read every partition to its end.
	now := sec(29.6)
	for consumer := range 2 {
		for key := range 3 {
			for positions[consumer][key] < len(logs[key]) {
				k := fmt.Sprintf("jepsen-%d", key)
				write(now, 3+consumer, history.Invoke, history.FPoll, history.PollInvoke{Keys: []string{k}}, "")
				var rs []history.Read
				for len(rs) < 50 && positions[consumer][key] < len(logs[key]) {
					off := positions[consumer][key]
					rs = append(rs, history.Read{Offset: int64(off), Value: logs[key][off]})
					positions[consumer][key]++
				}
				write(now+sec(0.002), 3+consumer, history.OK, history.FPoll, history.PollResult{Reads: map[string][]history.Read{k: rs}}, "")
				now += sec(0.003)
			}
		}
	}
	hf.Close()
	if err := os.MkdirAll(filepath.Join(dir, rundir.NodeLogsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := os.WriteFile(filepath.Join(dir, rundir.NodeLogsDir, n+".log"), []byte("log of "+n+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeConfig(t testing.TB, dir string) {
	t.Helper()
	writeRunConfig(t, dir, map[string]any{
		"spec":    fixtureSpec(map[string]any{"Brokers": 3, "ZooKeepers": 1}, 42, "kill", "partition"),
		"seed":    42,
		"command": "kafkaesque run --seed 42 --faults kill,partition --time-limit 30s --out results/run-42",
		"allowed": map[string]string{"duplicate": "producer retries without idempotence may write a value twice"},
		"run_id":  "run-42",
		"started": time.Date(2025, 11, 20, 9, 30, 0, 0, time.UTC),
		"cluster": map[string]any{"Brokers": 3, "ZooKeepers": 1, "Image": "kafkaesque-node:3.9",
			"BrokerConfig": map[string]string{"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}},
		"topology": map[string]string{"kafka1": "10.199.1.11", "kafka2": "10.199.1.12", "kafka3": "10.199.1.13", "zk1": "10.199.1.2"},
	})
}

// fixtureSpec is the requested run of a fixture: the workload on topic jepsen, 30 s of faults.
func fixtureSpec(cluster map[string]any, seed int, faults ...string) map[string]any {
	return map[string]any{
		"Cluster":   cluster,
		"Workload":  map[string]any{"Topic": "jepsen", "Partitions": 3, "ReplicationFactor": 3, "Acks": "all", "Producers": 3, "Consumers": 2},
		"Faults":    faults,
		"TimeLimit": int64(30 * time.Second),
		"Seed":      seed,
	}
}

// writeRunConfig writes cfg as dir's config.json.
func writeRunConfig(t testing.TB, dir string, cfg map[string]any) {
	t.Helper()
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ConfigFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeResults checks the directory's history and election log as the harness does and writes
// results.json.
func writeResults(t testing.TB, dir string, allow map[checker.AnomalyType]bool) *checker.Result {
	t.Helper()
	return writeResultsWith(t, dir, allow, runcheck.ElectionOptions{})
}

// writeResultsWith is writeResults with the election checks' options (KRaft's ELR and min ISR).
func writeResultsWith(t testing.TB, dir string, allow map[checker.AnomalyType]bool, opts runcheck.ElectionOptions) *checker.Result {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(filepath.Join(dir, rundir.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	res, err := checker.Check(ctx, f, checker.Options{Allow: allow, LinearizabilityTimeLimit: time.Minute})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if events, ok, err := rundir.LoadEvents(dir); err != nil {
		t.Fatal(err)
	} else if ok {
		res.AddAnomalies(runcheck.CheckElections(events, opts), allow)
		f, err := os.Open(filepath.Join(dir, rundir.HistoryFile))
		if err != nil {
			t.Fatal(err)
		}
		res.Faults, err = runcheck.MeasureUnavailability(f, events)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ResultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return res
}

// nemesisLine is one nemesis op of a history file, at seconds at, as a line of history.jsonl.
func nemesisLine(index int64, at float64, typ history.Type, f, value, errMsg string) string {
	op := history.Op{Index: index, Time: int64(at * 1e9), Process: history.NemesisProcess, Type: typ, F: f, Value: json.RawMessage(value), Error: errMsg}
	b, _ := json.Marshal(op)
	return string(b) + "\n"
}
