package workloads

import (
	"context"
	"math/rand"
	"sync"
	"time"
)

// pacer spaces one client's ops to a rate. It schedules against the start
// time rather than the previous op, so a slow op is caught up on, not lost.
type pacer struct {
	interval time.Duration // 0: no limit
	mu       sync.Mutex    // a producer's in-flight sends share its pacer
	next     time.Time
}

func newPacer(perSecond float64) *pacer {
	p := &pacer{next: time.Now()}
	if perSecond > 0 {
		p.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return p
}

// wait blocks until the next op may start; false once ctx is done.
func (p *pacer) wait(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	return sleep(ctx, p.reserve())
}

// reserve takes the next op's turn and says how long until it comes (0: now).
func (p *pacer) reserve() time.Duration {
	if p.interval == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.next.Before(now.Add(-time.Second)) {
		p.next = now // after a long stall, do not burst to catch up
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(p.interval)
	return max(d, 0)
}

// sleep waits d or until ctx is done; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleepJitter waits between d/2 and 3d/2, so clients that failed together
// do not retry in lockstep.
func sleepJitter(ctx context.Context, rng *rand.Rand, d time.Duration) bool {
	return sleep(ctx, d/2+time.Duration(rng.Int63n(int64(d)+1)))
}

// Pacer, Sleep and SleepJitter are the helpers above for workloads in sub-packages (workloads/txn).
type Pacer struct{ p *pacer }

// NewPacer spaces ops to perSecond a second; 0 means no limit.
func NewPacer(perSecond float64) Pacer { return Pacer{newPacer(perSecond)} }

// Wait blocks until the next op may start; false once ctx is done.
func (p Pacer) Wait(ctx context.Context) bool { return p.p.wait(ctx) }

// Sleep waits d or until ctx is done; false if ctx ended.
func Sleep(ctx context.Context, d time.Duration) bool { return sleep(ctx, d) }

// SleepJitter waits between d/2 and 3d/2; false if ctx ended.
func SleepJitter(ctx context.Context, rng *rand.Rand, d time.Duration) bool {
	return sleepJitter(ctx, rng, d)
}
