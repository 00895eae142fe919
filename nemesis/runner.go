package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/history"
)

// Nemesis op names besides the faults' own (the history package defines them for every reader).
const (
	FRecover = history.FRecover
	FHealAll = history.FHealAll
)

// ErrHealAll marks Run's error when its final heal-all failed: the cluster may still be broken.
var ErrHealAll = errors.New("heal-all failed")

// Undoing faults continues after the run's context ends, within these bounds. A broker restart
// alone may take a minute to prove.
const (
	recoverTimeout = 2 * time.Minute
	healAllTimeout = 5 * time.Minute
	// An injection runs to its proof even past the fault phase's end (fence-broker waits for a
	// session to lapse): cut off half-way it would leave a fault neither proved nor absent.
	injectTimeout = 2 * time.Minute
)

// FaultRef names a fault and the nodes it affected: the value of a fault's invoke op (name only)
// and of recover ops.
type FaultRef struct {
	Fault     string   `json:"fault"`
	Nodes     []string `json:"nodes,omitempty"`
	Partition string   `json:"partition,omitempty"`
}

// HealAllValue is the value of the heal-all info op.
type HealAllValue struct {
	// Restarted lists the nodes whose JVM was down and was started again.
	Restarted []string `json:"restarted,omitempty"`
}

// Runner executes a Schedule against a cluster and records it in the history.
type Runner struct {
	cluster  Cluster
	recorder *history.Recorder
	schedule Schedule
	rng      *rand.Rand

	recordErr error // the first failure to write the history; after it nothing more is recorded

	mu     sync.Mutex
	active []Injection
}

// NewRunner returns a Runner. rng chooses the faults' targets at injection time; nil means one
// seeded from the schedule's seed, so a seed reproduces the targets' choices too (as far as
// they do not depend on the cluster's state).
func NewRunner(c Cluster, rec *history.Recorder, s Schedule, rng *rand.Rand) *Runner {
	if rng == nil {
		rng = rand.New(rand.NewSource(s.Seed + 1)) // +1: not the stream NewSchedule drew from
	}
	return &Runner{cluster: c, recorder: rec, schedule: s, rng: rng}
}

// Run executes a schedule; see Runner.Run.
func Run(ctx context.Context, c Cluster, rec *history.Recorder, s Schedule, rng *rand.Rand) error {
	return NewRunner(c, rec, s, rng).Run(ctx)
}

// Active describes the injections currently in effect, e.g. "kill-leader kafka2 (kafkaesque-0)".
// It is safe to call while Run runs.
func (r *Runner) Active() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.active))
	for i, in := range r.active {
		out[i] = in.String()
	}
	return out
}

// Run injects each step's fault at its time, holds it, recovers it and rests, until the
// schedule ends, the schedule's limit passes, or ctx ends. It always recovers what it injected
// and ends with heal-all. A failed injection is recorded and skipped; Run returns an error only
// for an invalid schedule, a failed heal-all, or a history it could not write.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.schedule.validate(); err != nil {
		return err
	}
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(r.schedule.Limit))
	defer cancel()
	next := start
	for _, step := range r.schedule.Steps {
		if at := start.Add(step.Start); at.After(next) {
			next = at
		}
		if !sleepUntil(runCtx, next) || r.recordErr != nil {
			break
		}
		fault, _ := r.schedule.fault(step.Fault)
		ictx, icancel := context.WithTimeout(ctx, injectTimeout)
		inj, err := r.inject(ictx, fault)
		icancel()
		if inj.Recoverable() {
			if err == nil {
				sleepUntil(runCtx, time.Now().Add(step.Hold))
			}
			r.recover(ctx, inj)
		}
		next = time.Now().Add(step.Rest)
	}
	return errors.Join(r.healAll(ctx), r.recordErr)
}

// HistoryError is the first failure to write the history, after which the nemesis recorded
// nothing more (and injected nothing more), or nil.
func (r *Runner) HistoryError() error { return r.recordErr }

// inject records and applies one fault.
func (r *Runner) inject(ctx context.Context, f Fault) (Injection, error) {
	var inj Injection
	err := r.record(f.Name(), FaultRef{Fault: f.Name()}, false, func() (any, error) {
		if err := f.Available(ctx, r.cluster); err != nil {
			inj = Injection{Fault: f.Name()}
			return inj, fmt.Errorf("%s unavailable: %w", f.Name(), err)
		}
		var err error
		inj, err = f.Inject(ctx, r.cluster, r.rng)
		inj.Fault = f.Name()
		return inj, err
	})
	if inj.Recoverable() {
		r.mu.Lock()
		r.active = append(r.active, inj)
		r.mu.Unlock()
	}
	return inj, err
}

// recover records and undoes one injection, even after ctx ends.
func (r *Runner) recover(ctx context.Context, inj Injection) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoverTimeout)
	defer cancel()
	value := FaultRef{Fault: inj.Fault, Nodes: inj.Nodes, Partition: inj.Partition}
	err := r.record(FRecover, value, true, func() (any, error) { return value, inj.Recover(ctx) })
	if err == nil {
		r.mu.Lock()
		r.active = slices.DeleteFunc(r.active, func(a Injection) bool { return a.String() == inj.String() })
		r.mu.Unlock()
	}
}

// healAll removes every network fault, resumes every node and starts every node that is down,
// the metadata quorum (ZooKeeper, or the KRaft controllers) first since brokers need it. A
// Resume fails on a node with no JVM, which is how a killed node is found, including one a
// failed recovery left down.
func (r *Runner) healAll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healAllTimeout)
	defer cancel()
	c := r.cluster
	err := r.record(FHealAll, nil, true, func() (any, error) {
		var value HealAllValue
		var errs []error
		if err := c.Heal(ctx); err != nil {
			errs = append(errs, fmt.Errorf("heal the network: %w", err))
		}
		nodes := slices.Clone(c.Quorum())
		for _, b := range c.Brokers() {
			if !slices.Contains(nodes, b) { // combined KRaft controllers are brokers too
				nodes = append(nodes, b)
			}
		}
		for _, node := range nodes {
			if c.Resume(ctx, node) == nil {
				continue
			}
			if err := c.Start(ctx, node); err != nil {
				errs = append(errs, err)
				continue
			}
			value.Restarted = append(value.Restarted, node)
			if err := c.Resume(ctx, node); err != nil { // proves the started JVM runs
				errs = append(errs, err)
			}
		}
		return value, errors.Join(errs...)
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHealAll, err)
	}
	r.mu.Lock()
	r.active = nil
	r.mu.Unlock()
	return nil
}

// record writes an invoke of f, runs do, and writes an info completion with do's value and
// error text. When the history cannot be written, do still runs if always is set (undoing
// faults must not depend on the history), and is skipped otherwise.
func (r *Runner) record(f string, invokeValue any, always bool, do func() (any, error)) error {
	recording := r.recordErr == nil
	var invoke history.Op
	if recording {
		op, err := r.recorder.Invoke(history.NemesisProcess, f, invokeValue)
		if err != nil {
			r.recordErr = fmt.Errorf("record nemesis %s: %w", f, err)
			recording = false
		}
		invoke = op
	}
	if !recording && !always {
		return fmt.Errorf("%s not run: %w", f, r.recordErr)
	}
	value, err := do()
	if recording {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if _, cerr := r.recorder.Complete(invoke, history.Info, value, msg); cerr != nil {
			r.recordErr = fmt.Errorf("record nemesis %s completion: %w", f, cerr)
		}
	}
	return err
}

// sleepUntil waits until t and reports whether ctx is still live.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return ctx.Err() == nil
	}
}
