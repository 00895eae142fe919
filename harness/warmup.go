package harness

import "github.com/kafkaesque/kafkaesque/nemesis"

// faultSchedule plans the run's faults. The fault phase starts after the warmup: the schedule
// is the fault phase's, shifted by Warmup, and its limit (the workload's end) is Warmup plus
// TimeLimit. A warmup in Schedule itself stays a quiet start inside the fault phase.
func (s RunSpec) faultSchedule(faults []nemesis.Fault) nemesis.Schedule {
	opts := s.Schedule
	opts.Warmup += s.Warmup
	return nemesis.NewSchedule(s.Seed, faults, s.Warmup+s.TimeLimit, opts)
}
