package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/checker"
	"github.com/kafkaesque/kafkaesque/cluster"
	"github.com/kafkaesque/kafkaesque/cluster/nemesisadapter"
	"github.com/kafkaesque/kafkaesque/history"
	"github.com/kafkaesque/kafkaesque/nemesis"
	"github.com/kafkaesque/kafkaesque/report"
	"github.com/kafkaesque/kafkaesque/report/rundir"
	"github.com/kafkaesque/kafkaesque/workloads"
	"github.com/kafkaesque/kafkaesque/workloads/group"
	"github.com/kafkaesque/kafkaesque/workloads/txn"
)

type runner struct {
	spec     RunSpec
	faults   []nemesis.Fault
	progress io.Writer
	start    time.Time
}

// historyFlushDelay is how long a recorded op may wait in memory before it is written.
const historyFlushDelay = 50 * time.Millisecond

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "[%6.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func (r *runner) run(ctx context.Context) (res *RunResult, err error) {
	spec := r.spec
	dir := spec.OutDir
	r.start = time.Now()
	cfgRecord := newRunConfig(spec)
	cfgRecord.Started = time.Now().UTC()
	if cfgRecord.Elections, err = electionSettings(spec); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(dir, ConfigFile), cfgRecord); err != nil {
		return nil, err
	}
	r.logf("run directory %s, seed %d", dir, spec.Seed)

	cl, err := cluster.Start(ctx, spec.Cluster)
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	// Node logs are collected and the cluster removed whatever happens, a panic included, unless
	// the run failed and the spec keeps a failed run's cluster.
	defer func() {
		p := recover()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		keep := keepCluster(spec, res, err, p != nil)
		if cerr := r.closeCluster(cctx, cl, filepath.Join(dir, NodeLogsDir), keep); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close cluster: %w", cerr))
		}
		if p != nil {
			panic(p)
		}
	}()
	cfgRecord.RunID, cfgRecord.Cluster, cfgRecord.Topology = cl.RunID, cl.Config, map[string]string{}
	cfgRecord.Image, cfgRecord.Features, cfgRecord.ConfigNote = &cl.Image, cl.Features, cl.ConfigNote
	if cl.ConfigNote != "" {
		r.logf("note: %s", cl.ConfigNote)
	}
	if cfgRecord.Elections.KRaft {
		// What the cluster runs, not what its release defaults to.
		cfgRecord.Elections.ELREnabled = cl.Features[ELRFeature] >= 1
	}
	for _, n := range cl.Nodes() {
		cfgRecord.Topology[n.Name] = n.IP.String()
	}
	if err := writeJSON(filepath.Join(dir, ConfigFile), cfgRecord); err != nil {
		return nil, err
	}
	r.logf("cluster %s ready: brokers %v", cl.RunID, cl.BootstrapServers())

	nc := nemesisadapter.New(cl)

	histFile, err := os.Create(filepath.Join(dir, HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("create history: %w", err)
	}
	defer histFile.Close()
	elecFile, err := os.Create(filepath.Join(dir, ElectionsFile))
	if err != nil {
		return nil, fmt.Errorf("create election log: %w", err)
	}
	defer elecFile.Close()

	runStart := time.Now()
	// Lines are written in batches at most historyFlushDelay apart, so that recording is not what
	// limits a fast workload; a crash of this process loses at most that long of the history.
	histWriter := history.NewBufferedWriter(histFile, historyFlushDelay)
	defer histWriter.Close()
	rec := history.NewRecorder(histWriter, runStart)
	obs, err := cl.Observe(ctx, runStart, elecFile, spec.Workload.Topic)
	if err != nil {
		return nil, err
	}
	obsStopped := false
	defer func() {
		if !obsStopped {
			_ = obs.Stop()
		}
	}()

	// One seeded source: the schedule, the nemesis' targets and the workload's choices all
	// derive from it, so a seed replays the same decisions.
	rng := rand.New(rand.NewSource(spec.Seed))
	schedule := spec.faultSchedule(r.faults)
	work, err := newWorkload(spec, cl.BootstrapServers(), rec, rand.New(rand.NewSource(rng.Int63())))
	if err != nil {
		return nil, err
	}
	defer work.Close()
	if g, ok := work.(*group.Workload); ok {
		// The group faults need the group's id and its consumers: look the faults up again.
		cfg := spec.nemesisConfig()
		cfg.Group, cfg.Members = g.GroupID(), g
		if r.faults, err = cfg.Lookup(spec.Faults); err != nil {
			return nil, err
		}
		schedule = spec.faultSchedule(r.faults)
		if err := g.WaitCoordinator(ctx, 30*time.Second); err != nil {
			return nil, err
		}
	}
	if tw, ok := work.(*txn.Workload); ok {
		// The transaction faults need the workload's clients: look the faults up again.
		cfg := spec.nemesisConfig()
		cfg.Txn = tw
		tw.LogLateAnswers(r.logf)
		if r.faults, err = cfg.Lookup(spec.Faults); err != nil {
			return nil, err
		}
		schedule = spec.faultSchedule(r.faults)
	}
	for _, f := range r.faults {
		if err := f.Available(ctx, nc); err != nil {
			return nil, fmt.Errorf("fault %s is not available on this cluster: %w", f.Name(), err)
		}
	}
	nemesisRng := rand.New(rand.NewSource(rng.Int63()))
	nem := nemesis.NewRunner(nc, rec, schedule, nemesisRng)

	phase := spec.TimeLimit.String()
	if spec.Warmup > 0 {
		phase += fmt.Sprintf(" after a %s warmup without faults", spec.Warmup)
	}
	r.logf("fault phase: %s, faults %v", phase, spec.Faults)
	// The workload runs through the warmup and the fault phase: the schedule's limit.
	phaseCtx, cancelPhase := context.WithTimeout(ctx, schedule.Limit)
	var wg sync.WaitGroup
	var workErr, nemErr error
	wg.Add(2)
	go func() { defer wg.Done(); workErr = work.Run(phaseCtx) }()
	// The nemesis ends its own fault phase (its schedule's limit is the same TimeLimit) and
	// must not get phaseCtx: an injection begun just before the end runs on to its proof.
	go func() { defer wg.Done(); nemErr = nem.Run(ctx) }()
	stopProgress := r.reportProgress(work, nem)
	wg.Wait()
	cancelPhase()
	stopProgress()
	var warnings []string
	switch {
	case nemErr != nil && errors.Is(nemErr, nemesis.ErrHealAll) && nem.HistoryError() == nil:
		// The history records the failed heal-all, and the checker makes the verdict unknown.
		warnings = append(warnings, fmt.Sprintf("nemesis: %v", nemErr))
		r.logf("warning: %s; the verdict will be unknown", warnings[len(warnings)-1])
	case nemErr != nil:
		return nil, fmt.Errorf("nemesis: %w", nemErr)
	}
	if workErr != nil && !errors.Is(workErr, context.DeadlineExceeded) && !errors.Is(workErr, context.Canceled) {
		return nil, fmt.Errorf("workload: %w", workErr)
	}

	r.logf("healed; waiting up to %s for the cluster to recover", spec.RecoveryLimit)
	// The wait is in the history, so that checking the run directory later knows of a drain that
	// began on a cluster still broken (its high watermarks may lag its logs): the verdict is then
	// unknown at best.
	limit := map[string]string{"limit": spec.RecoveryLimit.String()}
	awaitInv, err := rec.Invoke(history.NemesisProcess, history.FAwaitRecovery, limit)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", history.FAwaitRecovery, err)
	}
	awaitMsg := ""
	if err := r.waitRecovered(ctx, cl); err != nil {
		awaitMsg = fmt.Sprintf("cluster did not fully recover within %s: %v", spec.RecoveryLimit, err)
		r.logf("warning: %s", awaitMsg)
	}
	if _, err := rec.Complete(awaitInv, history.Info, limit, awaitMsg); err != nil {
		return nil, fmt.Errorf("record %s: %w", history.FAwaitRecovery, err)
	}
	r.logf("draining every partition (limit %s)", spec.DrainLimit)
	tracker, stopDrainReport := r.reportDrain(spec.Workload.Partitions)
	drain, err := work.Drain(workloads.WithDrainTracker(ctx, tracker), spec.DrainLimit)
	stopDrainReport()
	switch {
	case errors.Is(err, workloads.ErrDrainIncomplete):
		r.logf("warning: %v", err) // the checker reads the drain's polls: unconfirmed writes are unknown
	case err != nil:
		return nil, fmt.Errorf("final drain: %w", err)
	}
	if err := obs.Stop(); err != nil {
		return nil, err
	}
	obsStopped = true
	if err := rec.Close(); err != nil {
		return nil, err
	}
	if err := histFile.Sync(); err != nil {
		return nil, fmt.Errorf("sync history: %w", err)
	}

	r.logf("checking")
	// The options come from config.json, as for `kafkaesque check` and `report` on this directory.
	checkOpts, _, err := RunCheckOptions(dir)
	if err != nil {
		return nil, err
	}
	result, err := CheckRunDir(ctx, dir, checkOpts)
	if err != nil {
		return nil, err
	}
	result.Warnings = append(result.Warnings, warnings...)
	if err := writeJSON(filepath.Join(dir, ResultsFile), result); err != nil {
		return nil, err
	}
	if err := report.Write(ctx, dir); err != nil {
		r.logf("warning: writing the HTML report: %v", err)
	} else if err := report.WriteIndex(filepath.Dir(dir)); err != nil {
		r.logf("warning: writing the results index: %v", err)
	}
	r.logf("verdict: %s (%s); report %s", result.Valid, summarize(result), filepath.Join(dir, rundir.ReportFile))
	return &RunResult{Dir: dir, Result: result, Drain: drain}, nil
}

// workload is what the run loop drives: the queue, the group or the txn workload.
type workload interface {
	Run(ctx context.Context) error
	Drain(ctx context.Context, limit time.Duration) (workloads.DrainResult, error)
	Stats() workloads.Stats
	Close() error
}

// newWorkload builds the workload spec.Workload names.
func newWorkload(spec RunSpec, bootstrap []string, rec *history.Recorder, rng *rand.Rand) (workload, error) {
	w := spec.Workload
	if w.Name == WorkloadTxn {
		return txn.New(txnConfig(w, spec.Faults, bootstrap), rec, rng)
	}
	qc := queueConfig(w, bootstrap)
	if w.Name != WorkloadGroup {
		return workloads.NewQueue(qc, rec, rng)
	}
	qc.Consumers = 0 // the group's members are the consumers
	return group.New(group.Config{Queue: qc, Members: w.Consumers}, rec, rng)
}

// waitRecovered waits until every broker is registered and every partition of the topic has
// a leader and a full ISR again.
func (r *runner) waitRecovered(ctx context.Context, c *cluster.Cluster) error {
	ctx, cancel := context.WithTimeout(ctx, r.spec.RecoveryLimit)
	defer cancel()
	return c.WaitRecovered(ctx, r.spec.Workload.Topic, r.spec.Workload.ReplicationFactor)
}

// reportProgress prints ops/s, errors and the faults in effect every few seconds.
func (r *runner) reportProgress(q workload, nem *nemesis.Runner) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		var last workloads.Stats
		lastAt := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				s := q.Stats()
				rate := float64(s.Completed()-last.Completed()) / now.Sub(lastAt).Seconds()
				active := nem.Active()
				faults := "none"
				if len(active) > 0 {
					faults = strings.Join(active, ",")
				}
				if t := s.Txn; t.Invoked > 0 {
					r.logf("%.0f txns/s | committed %d info %d aborted %d (on purpose %d) | sends %d polls %d | faults: %s",
						rate, t.Committed, t.Info, t.AbortedOnPurpose+t.AbortedAfterError, t.AbortedOnPurpose, t.Sends, t.Polls, faults)
				} else {
					r.logf("%.0f ops/s | send ok %d info %d fail %d | poll ok %d fail %d | faults: %s",
						rate, s.Send.OK, s.Send.Info, s.Send.Fail, s.Poll.OK, s.Poll.Fail+s.Poll.Info, faults)
				}
				last, lastAt = s, now
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func summarize(res *checker.Result) string {
	if len(res.Anomalies) == 0 {
		return "no anomalies"
	}
	var parts []string
	for _, t := range checker.AnomalyTypes {
		if n := len(res.Anomalies[t]); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
	}
	if n := len(res.Causes); n > 0 {
		return fmt.Sprintf("%d distinct cause(s): %s", n, strings.Join(parts, ", "))
	}
	return strings.Join(parts, ", ")
}
