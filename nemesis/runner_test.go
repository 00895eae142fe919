package nemesis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// quick is a schedule timing that keeps unit tests fast.
var quick = ScheduleOptions{HoldMin: 5 * time.Millisecond, HoldMax: 10 * time.Millisecond, RestMin: time.Millisecond, RestMax: 3 * time.Millisecond}

// runRecorded runs s against c and returns the decoded, validated history.
func runRecorded(t *testing.T, ctx context.Context, r *Runner, buf *bytes.Buffer) ([]history.Op, error) {
	t.Helper()
	runErr := r.Run(ctx)
	dec := history.NewDecoder(bytes.NewReader(buf.Bytes()))
	var ops []history.Op
	for {
		op, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("history does not decode: %v\n%s", err, buf)
		}
		ops = append(ops, op)
	}
	if dec.Outstanding() != 0 {
		t.Errorf("%d nemesis ops left outstanding", dec.Outstanding())
	}
	return ops, runErr
}

func newRunner(c Cluster, s Schedule, rng *rand.Rand) (*Runner, *bytes.Buffer) {
	var buf bytes.Buffer
	rec := history.NewRecorder(history.NewWriter(&buf), time.Now())
	return NewRunner(c, rec, s, rng), &buf
}

// pairs checks ops are invoke/info pairs of process -1 and returns the completions.
func pairs(t *testing.T, ops []history.Op) []history.Op {
	t.Helper()
	if len(ops)%2 != 0 {
		t.Fatalf("%d ops, want invoke/info pairs", len(ops))
	}
	var infos []history.Op
	for i := 0; i < len(ops); i += 2 {
		inv, info := ops[i], ops[i+1]
		if inv.Process != history.NemesisProcess || info.Process != history.NemesisProcess {
			t.Errorf("ops %d-%d are not the nemesis's: %+v %+v", i, i+1, inv, info)
		}
		if inv.Type != history.Invoke || info.Type != history.Info || inv.F != info.F {
			t.Errorf("ops %d-%d are not an invoke/info pair: %+v %+v", i, i+1, inv, info)
		}
		infos = append(infos, info)
	}
	return infos
}

func decode[T any](t *testing.T, op history.Op) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(op.Value, &v); err != nil {
		t.Fatalf("op %d value %s: %v", op.Index, op.Value, err)
	}
	return v
}

func TestRunRecordsInjectionsAndRecoveries(t *testing.T) {
	c := newFakeCluster(3, 3)
	faults, _ := testConfig.Lookup([]string{"kill-leader", "isolate-zk", "pause-controller", "netem-loss", "partition-majority", "kill-zk-leader"})
	s := NewSchedule(5, faults, 300*time.Millisecond, quick)
	r, buf := newRunner(c, s, rand.New(rand.NewSource(5)))
	ops, err := runRecorded(t, context.Background(), r, buf)
	if err != nil {
		t.Fatal(err)
	}
	infos := pairs(t, ops)
	if len(infos) < 3 {
		t.Fatalf("only %d nemesis ops in a 300 ms run", len(infos))
	}
	if first := ops[0]; first.F != s.Steps[0].Fault || string(first.Value) != `{"fault":"`+first.F+`"}` {
		t.Errorf("first invoke %s %s, want f and value naming the first step's fault", first.F, first.Value)
	}
	if last := infos[len(infos)-1]; last.F != FHealAll || last.Error != "" {
		t.Errorf("last op %+v, want a successful heal-all", last)
	}
	// Every injection is followed by the recovery of the same fault and nodes.
	injected := 0
	for i := 0; i < len(infos)-1; i++ {
		if infos[i].F == FRecover || infos[i].F == FHealAll {
			continue
		}
		injected++
		inj := decode[Injection](t, infos[i])
		if infos[i].Error != "" || inj.Fault != infos[i].F || len(inj.Nodes) == 0 {
			t.Errorf("injection %s: error %q, value %s", infos[i].F, infos[i].Error, infos[i].Value)
		}
		if inj.Fault == "kill-leader" && !strings.HasPrefix(inj.Partition, "kafkaesque-") {
			t.Errorf("kill-leader recorded no partition: %s", infos[i].Value)
		}
		rec := infos[i+1]
		got := decode[FaultRef](t, rec)
		if rec.F != FRecover || rec.Error != "" || got.Fault != inj.Fault || !slices.Equal(got.Nodes, inj.Nodes) || got.Partition != inj.Partition {
			t.Errorf("injection %s is followed by %s %s, want its recovery", infos[i].Value, rec.F, rec.Value)
		}
	}
	if injected == 0 {
		t.Error("nothing was injected")
	}
	if err := c.Healthy(); err != nil {
		t.Errorf("after the run: %v", err)
	}
	if a := r.Active(); len(a) != 0 {
		t.Errorf("Active() = %v after the run", a)
	}
}

// TestRunTargetsAreReproducible runs the same seeds against identical clusters.
func TestRunTargetsAreReproducible(t *testing.T) {
	values := func() []string {
		faults, _ := testConfig.Lookup([]string{"kill-random", "partition-majority", "netem-loss", "pause-leader"})
		s := NewSchedule(9, faults, 200*time.Millisecond, quick)
		s.Limit = time.Minute // every step runs however the timing drifts
		r, buf := newRunner(newFakeCluster(5, 3), s, nil)
		ops, err := runRecorded(t, context.Background(), r, buf)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, op := range pairs(t, ops) {
			out = append(out, string(op.Value))
		}
		return out
	}
	if a, b := values(), values(); !reflect.DeepEqual(a, b) {
		t.Errorf("same seeds, different injections:\n%v\n%v", a, b)
	}
}

func TestRunRecordsFailedInjectionAndGoesOn(t *testing.T) {
	c := newFakeCluster(3, 1)
	c.controllerErr = errors.New("no broker holds /controller")
	faults, _ := testConfig.Lookup([]string{"kill-controller", "kill-zk-leader", "kill-leader"})
	s := Schedule{Limit: time.Second, Faults: faults, Steps: []Step{
		{Fault: "kill-controller", Hold: 5 * time.Millisecond, Rest: time.Millisecond},
		{Fault: "kill-zk-leader", Hold: 5 * time.Millisecond, Rest: time.Millisecond},
		{Fault: "kill-leader", Hold: 5 * time.Millisecond, Rest: time.Millisecond},
	}}
	r, buf := newRunner(c, s, rand.New(rand.NewSource(1)))
	ops, err := runRecorded(t, context.Background(), r, buf)
	if err != nil {
		t.Fatalf("a failed injection aborted the run: %v", err)
	}
	var fs []string
	for _, op := range pairs(t, ops) {
		fs = append(fs, op.F)
	}
	want := []string{"kill-controller", "kill-zk-leader", "kill-leader", FRecover, FHealAll}
	if !slices.Equal(fs, want) {
		t.Fatalf("nemesis ops %v, want %v", fs, want)
	}
	if e := ops[1].Error; !strings.Contains(e, "no broker holds /controller") {
		t.Errorf("kill-controller info error %q, want the controller lookup's error", e)
	}
	if e := ops[3].Error; !strings.Contains(e, "unavailable") {
		t.Errorf("kill-zk-leader with 1 ZooKeeper node: info error %q, want unavailable", e)
	}
	if ops[5].Error != "" {
		t.Errorf("kill-leader failed: %s", ops[5].Error)
	}
}

func TestHealAllRestartsWhatRecoveryLeftDown(t *testing.T) {
	for name, c := range map[string]*fakeCluster{
		"zookeeper": newFakeCluster(3, 1),
		// The controller is a node of its own, in neither ZooKeepers() nor Brokers().
		"kraft": newKRaftFake(3, 3, false),
	} {
		t.Run(name, func(t *testing.T) { healAllRestarts(t, c) })
	}
}

func healAllRestarts(t *testing.T, c *fakeCluster) {
	c.failStart = 1 // the recovery's restart fails
	faults, _ := testConfig.Lookup([]string{"kill-controller"})
	s := Schedule{Limit: time.Second, Faults: faults, Steps: []Step{{Fault: "kill-controller", Hold: time.Millisecond}}}
	r, buf := newRunner(c, s, nil)
	ops, err := runRecorded(t, context.Background(), r, buf)
	if err != nil {
		t.Fatal(err)
	}
	infos := pairs(t, ops)
	if len(infos) != 3 || infos[1].F != FRecover || infos[1].Error == "" {
		t.Fatalf("ops %v: want kill-controller, a failed recover, heal-all", infos)
	}
	if got := decode[HealAllValue](t, infos[2]); !slices.Equal(got.Restarted, []string{c.controller}) || infos[2].Error != "" {
		t.Errorf("heal-all %s error %q, want %s restarted", infos[2].Value, infos[2].Error, c.controller)
	}
	if err := c.Healthy(); err != nil {
		t.Error(err)
	}
}

func TestRunReportsFailedHealAll(t *testing.T) {
	c := newFakeCluster(3, 1)
	c.healErr = errors.New("iptables is gone")
	r, buf := newRunner(c, Schedule{Limit: time.Second}, nil)
	ops, err := runRecorded(t, context.Background(), r, buf)
	if err == nil || !strings.Contains(err.Error(), "iptables is gone") || !errors.Is(err, ErrHealAll) || r.HistoryError() != nil {
		t.Errorf("Run = %v (history error %v), want the heal error as ErrHealAll, the history written", err, r.HistoryError())
	}
	if infos := pairs(t, ops); len(infos) != 1 || infos[0].F != FHealAll || infos[0].Error == "" {
		t.Errorf("ops %v, want one failed heal-all", infos)
	}
}

// TestRunStopsAtContextEndAndStillRecovers cancels the run mid-hold.
func TestRunStopsAtContextEndAndStillRecovers(t *testing.T) {
	c := newFakeCluster(3, 1)
	faults, _ := testConfig.Lookup([]string{"pause-leader"})
	s := Schedule{Limit: time.Minute, Faults: faults, Steps: []Step{
		{Fault: "pause-leader", Hold: time.Minute},
		{Fault: "pause-leader", Start: 2 * time.Minute, Hold: time.Minute},
	}}
	r, buf := newRunner(c, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the fault is in effect, as seen through Active.
		for len(r.Active()) == 0 {
			time.Sleep(time.Millisecond)
		}
		if a := r.Active(); len(a) != 1 || !strings.HasPrefix(a[0], "pause-leader kafka") {
			t.Errorf("Active() = %v during the hold", a)
		}
		cancel()
	}()
	start := time.Now()
	ops, err := runRecorded(t, ctx, r, buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %s after cancellation", d)
	}
	var fs []string
	for _, op := range pairs(t, ops) {
		fs = append(fs, op.F)
	}
	if want := []string{"pause-leader", FRecover, FHealAll}; !slices.Equal(fs, want) {
		t.Errorf("nemesis ops %v, want %v", fs, want)
	}
	if err := c.Healthy(); err != nil {
		t.Error(err)
	}
}

// A fault whose injection begins just before the fault phase ends is still injected and proved,
// not cut off half-way by the phase's end (which made a run's verdict unknown).
func TestInjectionOutlivesThePhaseEnd(t *testing.T) {
	c := newFakeCluster(3, 1)
	c.cutDelay = 300 * time.Millisecond
	faults, _ := testConfig.Lookup([]string{"isolate-leader"})
	s := Schedule{Limit: 100 * time.Millisecond, Faults: faults, Steps: []Step{
		{Fault: "isolate-leader", Start: 50 * time.Millisecond, Hold: 10 * time.Millisecond},
	}}
	r, buf := newRunner(c, s, rand.New(rand.NewSource(1)))
	ops, err := runRecorded(t, context.Background(), r, buf)
	if err != nil {
		t.Fatal(err)
	}
	infos := pairs(t, ops)
	if len(infos) < 2 || infos[0].F != "isolate-leader" || infos[0].Error != "" {
		t.Fatalf("the injection begun 50 ms before the phase's end failed: %+v", infos)
	}
	if infos[1].F != FRecover || infos[1].Error != "" {
		t.Errorf("then %+v, want its recovery", infos[1])
	}
	if err := c.Healthy(); err != nil {
		t.Error(err)
	}
}

func TestRunRejectsUnknownStep(t *testing.T) {
	r, buf := newRunner(newFakeCluster(3, 1), Schedule{Limit: time.Second, Steps: []Step{{Fault: "kill-leader"}}}, nil)
	if err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "kill-leader") {
		t.Errorf("Run = %v, want an error naming the step's unknown fault", err)
	}
	if buf.Len() != 0 {
		t.Errorf("an invalid schedule recorded %s", buf)
	}
}
