package sweep

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Verdict is a run's outcome as the sweep ranks them: the worst of its runs is the sweep's.
type Verdict int

// From best to worst. A run that lost data outranks one that could not finish: it is the
// finding a sweep exists for.
const (
	Valid Verdict = iota
	Unknown
	Failed // the run stopped with an error
	Invalid
)

func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Unknown:
		return "unknown"
	case Failed:
		return "error"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// Outcome is what one run ended with.
type Outcome struct {
	Run     Run
	Dir     string
	Verdict Verdict
	Detail  string // the anomalies found, or the error
	Elapsed time.Duration
}

// Config drives Execute.
type Config struct {
	Runs  []Run
	Total int // runs in the whole sweep, every shard's
	// StopOnFail stops after the first run that is not valid.
	StopOnFail bool
	// Start runs one run. Every run was validated before the first one started.
	Start func(ctx context.Context, r Run) Outcome
	// Progress receives a line per run started and ended, with the time left.
	Progress io.Writer
	// Estimate is a run's expected length, for the time left before a run has ended.
	Estimate time.Duration
	Now      func() time.Time // nil: time.Now
}

// Execute runs the runs one after another and returns their outcomes, in order. It stops early
// when ctx ends or, with StopOnFail, after a run that is not valid; the runs not started have no
// outcome.
func Execute(ctx context.Context, cfg Config) []Outcome {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	var outcomes []Outcome
	var spent time.Duration
	for i, r := range cfg.Runs {
		if ctx.Err() != nil {
			fmt.Fprintf(progress, "sweep: stopped before run %d of %d: %v\n", i+1, len(cfg.Runs), context.Cause(ctx))
			break
		}
		left := len(cfg.Runs) - i
		per := cfg.Estimate
		if i > 0 {
			per = spent / time.Duration(i)
		}
		fmt.Fprintf(progress, "sweep: run %d of %d (#%d of the sweep's %d) %s repeat %d seed %d; about %s left\n",
			i+1, len(cfg.Runs), r.Index, cfg.Total, r.Cell.Name, r.Repeat, r.Seed, roundETA(per*time.Duration(left)))
		start := now()
		o := cfg.Start(ctx, r)
		o.Run = r
		o.Elapsed = now().Sub(start)
		spent += o.Elapsed
		outcomes = append(outcomes, o)
		fmt.Fprintf(progress, "sweep: run %d of %d: %s%s in %s (%s)\n", i+1, len(cfg.Runs), o.Verdict, detail(o.Detail), o.Elapsed.Round(time.Second), o.Dir)
		if cfg.StopOnFail && o.Verdict != Valid && i+1 < len(cfg.Runs) {
			fmt.Fprintf(progress, "sweep: --stop-on-fail: stopping, %d runs not started\n", len(cfg.Runs)-i-1)
			break
		}
	}
	return outcomes
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func roundETA(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// Worst is the sweep's verdict: its worst run's, Valid when every run was; a sweep that
// stopped before all its runs is at best Unknown.
func Worst(outcomes []Outcome, planned int) Verdict {
	w := Valid
	if len(outcomes) < planned {
		w = Unknown
	}
	for _, o := range outcomes {
		w = max(w, o.Verdict)
	}
	return w
}
