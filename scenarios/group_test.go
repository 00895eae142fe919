package scenarios

import (
	"testing"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/harness"
	"github.com/kafkaesque/kafkaesque/nemesis"
)

// Consumer groups under fire, in the safe configuration: killing the group's coordinator (a
// __consumer_offsets partition leader election) and the consumer that leads the group (a
// rebalance with a new assignor) must lose nothing, never hand one partition to two members,
// never move a committed offset backwards and never resume past the last commit.
func TestGroupCoordinatorAndLeaderKills(t *testing.T) {
	faults := []string{"kill-coordinator", "kill-group-leader"}
	sched := nemesis.ScheduleOptions{HoldMin: 10 * time.Second, HoldMax: 10 * time.Second,
		RestMin: 5 * time.Second, RestMax: 5 * time.Second, Warmup: 3 * time.Second}
	limit := 45 * time.Second
	s := spec(safe, faults, limit, sched, seedWithEvery(t, faults, limit, sched))
	s.Workload.Name = harness.WorkloadGroup
	res := harness.Run(t, s)
	r := res.Result
	assertFaultsTookEffect(t, res, faults)
	if r.Group == nil {
		t.Fatalf("no group stats in the result: the group checks did not run")
	}
	t.Logf("group: %+v", *r.Group)
	if r.Group.CoordinatorMoves < 1 {
		t.Errorf("the coordinator never moved (coordinators seen %v): kill-coordinator proved nothing", r.Group.Coordinators)
	}
	if r.Group.Generations < 3 {
		t.Errorf("only %d generations: the leader's crash and restart did not rebalance the group", r.Group.Generations)
	}
	if r.Stats.SendsOK < 500 {
		t.Errorf("only %d acknowledged sends: the workload did not run", r.Stats.SendsOK)
	}
	if r.Valid != checker.Valid {
		t.Errorf("verdict %s, want valid; anomalies: %v", r.Valid, anomalyCounts(r))
	}
}

// seedWithEvery returns the first seed whose schedule injects every fault, so the test does
// not depend on a lucky draw.
func seedWithEvery(t *testing.T, names []string, limit time.Duration, opts nemesis.ScheduleOptions) int64 {
	t.Helper()
	faults, err := nemesis.Lookup(names)
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed < 1000; seed++ {
		seen := map[string]bool{}
		for _, step := range nemesis.NewSchedule(seed, faults, limit, opts).Steps {
			seen[step.Fault] = true
		}
		if len(seen) == len(names) {
			return seed
		}
	}
	t.Fatalf("no seed below 1000 schedules all of %v", names)
	return 0
}
