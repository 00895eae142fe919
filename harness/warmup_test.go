package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/workloads"
)

func TestFaultScheduleStartsAfterTheWarmup(t *testing.T) {
	spec := RunSpec{OutDir: "x", Seed: 7, Faults: []string{"kill-leader", "pause-leader"}, TimeLimit: 90 * time.Second,
		Workload: WorkloadSpec{Acks: workloads.AcksAll}, Schedule: nemesis.ScheduleOptions{HoldMin: 8 * time.Second, HoldMax: 12 * time.Second}}
	spec, err := spec.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	faults, err := spec.nemesisConfig().Lookup(spec.Faults)
	if err != nil {
		t.Fatal(err)
	}
	without := spec.faultSchedule(faults)
	if without.Limit != 90*time.Second || len(without.Steps) < 3 || without.Steps[0].Start != 0 {
		t.Fatalf("no warmup: limit %s, steps %v", without.Limit, without.Steps)
	}
	spec.Warmup = 20 * time.Second
	with := spec.faultSchedule(faults)
	if with.Limit != 110*time.Second {
		t.Errorf("limit %s: want the warmup plus the fault phase, 1m50s", with.Limit)
	}
	// The same faults, holds and rests: the fault phase's schedule, 20 s later.
	if len(with.Steps) != len(without.Steps) {
		t.Fatalf("%d steps with the warmup, %d without", len(with.Steps), len(without.Steps))
	}
	for i, st := range with.Steps {
		want := without.Steps[i]
		want.Start += spec.Warmup
		if st != want {
			t.Errorf("step %d: %+v, want %+v", i, st, want)
		}
	}
	// A quiet start inside the fault phase (Schedule.Warmup) comes after the run's warmup.
	spec.Schedule.Warmup = 3 * time.Second
	if first := spec.faultSchedule(faults).Steps[0].Start; first != 23*time.Second {
		t.Errorf("first fault at %s, want 23s", first)
	}
}

func TestWarmupIsNotTakenFromTheFaultPhase(t *testing.T) {
	spec := RunSpec{OutDir: "x", Faults: []string{"kill-leader"}, TimeLimit: 10 * time.Second, Warmup: 30 * time.Second,
		Workload: WorkloadSpec{Acks: workloads.AcksAll}}
	// An 8 s hold fits the 10 s fault phase whatever the warmup before it.
	if err := spec.Validate(); err != nil {
		t.Errorf("30 s warmup, 10 s fault phase: %v", err)
	}
	spec.Warmup = -time.Second
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "Warmup must not be negative") {
		t.Errorf("negative warmup: %v", err)
	}
}
