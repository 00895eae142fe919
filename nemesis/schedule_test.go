package nemesis

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScheduleIsDeterministic(t *testing.T) {
	faults := All()
	limit := 10 * time.Minute
	a := NewSchedule(42, faults, limit, ScheduleOptions{})
	b := NewSchedule(42, faults, limit, ScheduleOptions{})
	c := NewSchedule(43, faults, limit, ScheduleOptions{})
	if !reflect.DeepEqual(a.Steps, b.Steps) {
		t.Errorf("same seed, different steps:\n%v\n%v", a.Steps, b.Steps)
	}
	if reflect.DeepEqual(a.Steps, c.Steps) {
		t.Errorf("seeds 42 and 43 gave the same steps: %v", a.Steps)
	}
	if len(a.Steps) < 15 {
		t.Errorf("%d steps in %s with 16-30 s per step, want at least 20", len(a.Steps), limit)
	}
	used := map[string]bool{}
	next := time.Duration(0)
	for i, st := range a.Steps {
		used[st.Fault] = true
		if st.Start != next {
			t.Errorf("step %d starts at %s, want %s (previous start + hold + rest)", i, st.Start, next)
		}
		if st.Hold < DefaultHoldMin || st.Hold > DefaultHoldMax || st.Rest < DefaultRestMin || st.Rest > DefaultRestMax {
			t.Errorf("step %d %+v outside the default hold and rest ranges", i, st)
		}
		if st.Start+st.Hold > limit {
			t.Errorf("step %d %+v holds past the limit %s", i, st, limit)
		}
		next = st.Start + st.Hold + st.Rest
	}
	if len(used) < 5 {
		t.Errorf("only %d distinct faults in %d steps", len(used), len(a.Steps))
	}
}

func TestScheduleOptions(t *testing.T) {
	faults, _ := Lookup([]string{"kill-leader"})
	opts := ScheduleOptions{HoldMin: time.Second, HoldMax: 2 * time.Second, RestMin: 3 * time.Second, RestMax: 3 * time.Second, Warmup: 5 * time.Second}
	s := NewSchedule(1, faults, 30*time.Second, opts)
	if len(s.Steps) == 0 || s.Steps[0].Start != 5*time.Second {
		t.Fatalf("steps %v: want the first at the 5 s warmup", s.Steps)
	}
	for _, st := range s.Steps {
		if st.Fault != "kill-leader" || st.Hold < time.Second || st.Hold > 2*time.Second || st.Rest != 3*time.Second {
			t.Errorf("step %+v outside the options", st)
		}
		if st.Start+opts.HoldMin > 30*time.Second {
			t.Errorf("step %+v starts too late to hold before the limit", st)
		}
	}
	for _, st := range NewSchedule(1, faults, time.Minute, ScheduleOptions{HoldMin: 3 * time.Second, HoldMax: 2 * time.Second}).Steps {
		if st.Hold != 3*time.Second {
			t.Errorf("inverted hold range 3s-2s gave hold %s, want the minimum", st.Hold)
		}
	}
	if s := NewSchedule(1, nil, time.Minute, ScheduleOptions{}); len(s.Steps) != 0 {
		t.Errorf("no faults gave steps %v", s.Steps)
	}
	if s := NewSchedule(1, faults, 5*time.Second, ScheduleOptions{}); len(s.Steps) != 0 {
		t.Errorf("a limit shorter than the minimum hold gave steps %v", s.Steps)
	}
}

func TestCheckPlanRefusesASchedulePlanningNoFault(t *testing.T) {
	faults, _ := Lookup([]string{"kill-leader"})
	err := CheckPlan(faults, 5*time.Second, ScheduleOptions{})
	if !errors.Is(err, ErrNoFaultPlanned) || !strings.Contains(err.Error(), "(5s)") || !strings.Contains(err.Error(), "shortest hold (8s)") {
		t.Errorf("a 5 s phase with 8-15 s holds: %v, want ErrNoFaultPlanned naming both", err)
	}
	if err := CheckPlan(faults, 10*time.Second, ScheduleOptions{Warmup: 3 * time.Second}); !errors.Is(err, ErrNoFaultPlanned) {
		t.Errorf("3 s warmup + 8 s hold in a 10 s phase: %v, want ErrNoFaultPlanned", err)
	}
	// Near misses: the shortest hold just fits, or nothing is to be injected at all.
	if err := CheckPlan(faults, 8*time.Second, ScheduleOptions{}); err != nil {
		t.Errorf("an 8 s phase holds one 8 s fault: %v", err)
	}
	if err := CheckPlan(faults, 2*time.Second, ScheduleOptions{HoldMin: time.Second, HoldMax: time.Second}); err != nil {
		t.Errorf("a 1 s hold in a 2 s phase: %v", err)
	}
	if err := CheckPlan(nil, time.Second, ScheduleOptions{}); err != nil {
		t.Errorf("no faults is a valid plan: %v", err)
	}
}

func TestScheduleOptionsRefuseNegativeDurations(t *testing.T) {
	faults, _ := Lookup([]string{"kill-leader"})
	for _, o := range []ScheduleOptions{{HoldMin: -time.Second}, {HoldMax: -1}, {RestMin: -time.Second}, {RestMax: -time.Second}, {Warmup: -time.Second}} {
		if err := CheckPlan(faults, time.Minute, o); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("%+v: %v, want a refusal", o, err)
		}
	}
}

func TestCheckTopology(t *testing.T) {
	ctx := context.Background()
	zkLeader, _ := Lookup([]string{"kill-zk-leader", "kill-leader"})
	err := CheckTopology(ctx, zkLeader, Topology{Brokers: 3, ZooKeepers: 1})
	if err == nil || !strings.Contains(err.Error(), "kill-zk-leader") || strings.Contains(err.Error(), "fault kill-leader") {
		t.Errorf("kill-zk-leader with one ZooKeeper node: %v, want it (alone) refused", err)
	}
	if err := CheckTopology(ctx, zkLeader, Topology{Brokers: 3, ZooKeepers: 3}); err != nil {
		t.Errorf("kill-zk-leader with 3 ZooKeeper nodes: %v", err)
	}
	majority, _ := Lookup([]string{"partition-majority", "kill-isr"})
	if err := CheckTopology(ctx, majority, Topology{Brokers: 1, ZooKeepers: 1}); err == nil || !strings.Contains(err.Error(), "partition-majority") || !strings.Contains(err.Error(), "kill-isr") {
		t.Errorf("partition-majority and kill-isr on 2 nodes: %v, want both refused", err)
	}
	all := append(All(), GroupFaults()...)
	if err := CheckTopology(ctx, all, Topology{Brokers: 3, ZooKeepers: 3}); err != nil {
		t.Errorf("every fault on 3 brokers and 3 ZooKeeper nodes: %v", err)
	}
}
