package nemesis

import (
	"errors"
	"fmt"
	"math/rand"
	"time"
)

// ScheduleOptions bounds a schedule's timing. Zero fields take their defaults; negative ones are
// invalid (Validate).
type ScheduleOptions struct {
	HoldMin, HoldMax time.Duration // how long a fault stays in effect; default 8-15 s
	RestMin, RestMax time.Duration // quiet time after a recovery; default 8-15 s
	// Warmup is fault-free time before the first fault, so the history starts with normal
	// operation; default 0.
	Warmup time.Duration
}

// Default timing.
const (
	DefaultHoldMin = 8 * time.Second
	DefaultHoldMax = 15 * time.Second
	DefaultRestMin = 8 * time.Second
	DefaultRestMax = 15 * time.Second
)

// Validate refuses negative durations, which would otherwise read as "unset".
func (o ScheduleOptions) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"minimum hold", o.HoldMin}, {"maximum hold", o.HoldMax}, {"minimum rest", o.RestMin}, {"maximum rest", o.RestMax}, {"warmup", o.Warmup}} {
		if d.v < 0 {
			return fmt.Errorf("schedule: negative %s %s (0 means the default)", d.name, d.v)
		}
	}
	return nil
}

// ErrNoFaultPlanned is CheckPlan's error for a schedule with faults to draw from but no time
// to hold any of them.
var ErrNoFaultPlanned = errors.New("the schedule plans no fault")

// CheckPlan says, before a run starts, why a schedule of faults over limit would be wrong: invalid
// options, or faults to inject but not one step planned. No faults at all is a valid plan.
func CheckPlan(faults []Fault, limit time.Duration, opts ScheduleOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if len(faults) == 0 || len(NewSchedule(0, faults, limit, opts).Steps) > 0 {
		return nil // whether a step is planned does not depend on the seed
	}
	o := opts.withDefaults()
	return fmt.Errorf("%w: the fault phase (%s) is shorter than the warmup (%s) plus the shortest hold (%s)",
		ErrNoFaultPlanned, limit, o.Warmup, o.HoldMin)
}

func (o ScheduleOptions) withDefaults() ScheduleOptions {
	o.HoldMin, o.HoldMax = rangeDefaults(o.HoldMin, o.HoldMax, DefaultHoldMin, DefaultHoldMax)
	o.RestMin, o.RestMax = rangeDefaults(o.RestMin, o.RestMax, DefaultRestMin, DefaultRestMax)
	o.HoldMax, o.RestMax = max(o.HoldMax, o.HoldMin), max(o.RestMax, o.RestMin)
	return o
}

// rangeDefaults fills an unset bound so that the range stays a range.
func rangeDefaults(lo, hi, defLo, defHi time.Duration) (time.Duration, time.Duration) {
	switch {
	case lo <= 0 && hi <= 0:
		return defLo, defHi
	case lo <= 0:
		return min(defLo, hi), hi
	case hi <= 0:
		return lo, max(defHi, lo)
	}
	return lo, hi
}

// Step is one fault of a schedule: inject at Start (an offset from the run's start), keep it for
// Hold, recover, then rest for Rest before the next step.
type Step struct {
	Fault string        `json:"fault"`
	Start time.Duration `json:"start"`
	Hold  time.Duration `json:"hold"`
	Rest  time.Duration `json:"rest"`
}

// Schedule is a run's plan of faults. Start offsets are nominal: injections and recoveries take
// time (a restarted broker needs seconds), and the Runner never shortens a hold or a rest to
// catch up, so actual times drift later. The history records the actual times.
type Schedule struct {
	Seed   int64
	Limit  time.Duration // no fault is injected after it, and a hold in progress ends there
	Steps  []Step
	Faults []Fault // the faults the steps name
}

// NewSchedule plans faults drawn uniformly from faults, with hold and rest times drawn from
// opts' ranges, until the limit. It is a pure function: the same arguments give the same steps.
// Only steps whose whole minimum hold fits before the limit are planned; a longer hold is
// shortened to end at the limit. A range whose maximum is below its minimum is taken as the
// minimum alone.
func NewSchedule(seed int64, faults []Fault, limit time.Duration, opts ScheduleOptions) Schedule {
	opts = opts.withDefaults()
	s := Schedule{Seed: seed, Limit: limit, Faults: faults}
	if len(faults) == 0 {
		return s
	}
	rng := rand.New(rand.NewSource(seed))
	for start := max(opts.Warmup, 0); start+opts.HoldMin <= limit; {
		step := Step{
			Fault: faults[rng.Intn(len(faults))].Name(),
			Start: start,
			Hold:  between(rng, opts.HoldMin, opts.HoldMax),
			Rest:  between(rng, opts.RestMin, opts.RestMax),
		}
		step.Hold = min(step.Hold, limit-start)
		s.Steps = append(s.Steps, step)
		start += step.Hold + step.Rest
	}
	return s
}

// between draws a duration in [lo, hi], at millisecond granularity when the range allows.
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	span := hi - lo
	unit := time.Millisecond
	if span < 1000*unit {
		unit = 1 // short (test) ranges: nanoseconds
	}
	return lo + time.Duration(rng.Int63n(int64(span/unit)+1))*unit
}

// fault returns the schedule's fault with the given name.
func (s Schedule) fault(name string) (Fault, bool) {
	for _, f := range s.Faults {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// validate checks every step names one of the schedule's faults.
func (s Schedule) validate() error {
	for i, st := range s.Steps {
		if _, ok := s.fault(st.Fault); !ok {
			return fmt.Errorf("schedule step %d: fault %q is not among the schedule's faults %v", i, st.Fault, Names(s.Faults))
		}
		if st.Hold < 0 || st.Rest < 0 || st.Start < 0 {
			return fmt.Errorf("schedule step %d: negative timing %+v", i, st)
		}
	}
	return nil
}
