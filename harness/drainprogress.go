package harness

import (
	"fmt"
	"sync"
	"time"

	"github.com/kafkaesque/kafkaesque/workloads"
)

// drainReportEvery is how often the drain's progress is printed; the rate behind its ETA is
// taken over the last drainRateSamples reports.
const (
	drainReportEvery = 5 * time.Second
	drainRateSamples = 3
)

// drainSample is the drain's progress at one time.
type drainSample struct {
	at time.Time
	p  workloads.DrainProgress
}

// drainLine describes the drain at the last of samples (oldest first): partitions at their
// end, offsets read and left, and an ETA from the read rate over the samples.
func drainLine(samples []drainSample, partitions int) string {
	cur := samples[len(samples)-1]
	p := cur.p
	line := fmt.Sprintf("drain: %d of %d partitions at their end; %d offsets read, %d left", p.Complete, partitions, p.Read, p.Remaining)
	first := samples[0]
	elapsed := cur.at.Sub(first.at)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.Read-first.p.Read) / elapsed.Seconds()
	}
	switch {
	case p.Partitions < partitions:
		return line + fmt.Sprintf(" (%d of %d partitions' offsets not known yet)", partitions-p.Partitions, partitions)
	case p.Remaining == 0:
		return line + " (confirming the end of the log)"
	case rate > 0:
		eta := time.Duration(float64(p.Remaining) / rate * float64(time.Second)).Round(time.Second)
		return line + fmt.Sprintf(" at %.0f/s, ETA %s", rate, eta)
	case elapsed > 0:
		return line + fmt.Sprintf(" (nothing read in the last %s)", elapsed.Round(time.Second))
	}
	return line
}

// reportDrain prints the drain's progress every drainReportEvery until stop, once some
// partition's offsets are known. The drain reports to the tracker through ctx
// (workloads.WithDrainTracker).
func (r *runner) reportDrain(partitions int) (tracker *workloads.DrainTracker, stop func()) {
	tracker = &workloads.DrainTracker{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(drainReportEvery)
		defer tick.Stop()
		samples := []drainSample{{at: time.Now()}}
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				samples = append(samples, drainSample{at: now, p: tracker.Progress()})
				if len(samples) > drainRateSamples+1 {
					samples = samples[1:]
				}
				if samples[len(samples)-1].p.Partitions > 0 {
					r.logf("%s", drainLine(samples, partitions))
				}
			}
		}
	})
	return tracker, func() { close(done); wg.Wait() }
}
